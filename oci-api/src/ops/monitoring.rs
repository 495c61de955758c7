//! Monitoring (`telemetry` host, `/20180401`): metric data by MQL query, the metrics that
//! exist, and alarms with their current status and their history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DefinedTags, FreeformTags, Timestamp, null_as_empty, path_segment, with_json_body};
use crate::client::{Client, Error, Pages, Request};
use crate::region::Service;

/// `SummarizeMetricsData`: aggregated data points of the metric streams an MQL query
/// selects. One answer, not paged.
#[derive(Debug, Clone, Default)]
pub struct SummarizeMetricsData {
    pub compartment_id: String,
    /// Only allowed when `compartment_id` is the tenancy.
    pub compartment_id_in_subtree: Option<bool>,
    /// `oci_computeagent`, `oci_vcn`, ...
    pub namespace: String,
    pub resource_group: Option<String>,
    /// MQL, `CpuUtilization[1m]{resourceId = "ocid1.instance..."}.mean()`.
    pub query: String,
    /// Included; OCI's default is three hours ago.
    pub start_time: Option<Timestamp>,
    /// Excluded; OCI's default is now.
    pub end_time: Option<Timestamp>,
    /// `1m` to `60m`, `1h` to `24h`, `1d`; no longer than the query's interval.
    pub resolution: Option<String>,
}

/// The body of `SummarizeMetricsData`, fields in the SDK's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummarizeMetricsDataDetails<'a> {
    namespace: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group: Option<&'a str>,
    query: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution: Option<&'a str>,
}

impl SummarizeMetricsData {
    pub fn new(
        compartment_id: impl Into<String>,
        namespace: impl Into<String>,
        query: impl Into<String>,
    ) -> Self {
        SummarizeMetricsData {
            compartment_id: compartment_id.into(),
            namespace: namespace.into(),
            query: query.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Result<Request, Error> {
        let request = Request::post(
            "SummarizeMetricsData",
            Service::Monitoring,
            "/metrics/actions/summarizeMetricsData".to_owned(),
        )
        .read_only()
        .query("compartmentId", &self.compartment_id)
        .query_opt("compartmentIdInSubtree", self.compartment_id_in_subtree);
        with_json_body(
            request,
            &SummarizeMetricsDataDetails {
                namespace: &self.namespace,
                resource_group: self.resource_group.as_deref(),
                query: &self.query,
                start_time: self.start_time,
                end_time: self.end_time,
                resolution: self.resolution.as_deref(),
            },
        )
    }
}

/// `ListMetrics`: the metric names and dimension sets that have data, filtered by the body.
#[derive(Debug, Clone, Default)]
pub struct ListMetrics {
    pub compartment_id: String,
    pub compartment_id_in_subtree: Option<bool>,
    pub limit: Option<u32>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub resource_group: Option<String>,
    /// Only metrics with these dimension values.
    pub dimension_filters: BTreeMap<String, String>,
    /// Dimensions to group the answer by (one item per distinct combination).
    pub group_by: Vec<String>,
    /// `NAME`, `NAMESPACE` or `RESOURCEGROUP`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
}

/// The body of `ListMetrics`, fields in the SDK's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListMetricsDetails<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    dimension_filters: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    group_by: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    sort_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sort_order: Option<&'a str>,
}

impl ListMetrics {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListMetrics {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Result<Request, Error> {
        let request = Request::post(
            "ListMetrics",
            Service::Monitoring,
            "/metrics/actions/listMetrics".to_owned(),
        )
        .read_only()
        .query("compartmentId", &self.compartment_id)
        .query_opt("limit", self.limit)
        .query_opt("compartmentIdInSubtree", self.compartment_id_in_subtree);
        with_json_body(
            request,
            &ListMetricsDetails {
                name: self.name.as_deref(),
                namespace: self.namespace.as_deref(),
                resource_group: self.resource_group.as_deref(),
                dimension_filters: &self.dimension_filters,
                group_by: &self.group_by,
                sort_by: self.sort_by.as_deref(),
                sort_order: self.sort_order.as_deref(),
            },
        )
    }
}

/// `ListAlarms`: the alarm definitions of a compartment.
#[derive(Debug, Clone, Default)]
pub struct ListAlarms {
    pub compartment_id: String,
    pub limit: Option<u32>,
    pub display_name: Option<String>,
    /// `ACTIVE`, `DELETING`, `DELETED`.
    pub lifecycle_state: Option<String>,
    /// `displayName` or `severity`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    pub compartment_id_in_subtree: Option<bool>,
}

impl ListAlarms {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListAlarms {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get("ListAlarms", Service::Monitoring, "/alarms".to_owned())
            .query("compartmentId", &self.compartment_id)
            .query_opt("limit", self.limit)
            .query_opt("displayName", self.display_name.as_ref())
            .query_opt("lifecycleState", self.lifecycle_state.as_ref())
            .query_opt("sortBy", self.sort_by.as_ref())
            .query_opt("sortOrder", self.sort_order.as_ref())
            .query_opt("compartmentIdInSubtree", self.compartment_id_in_subtree)
    }
}

/// `ListAlarmsStatus`: which alarms are firing.
#[derive(Debug, Clone, Default)]
pub struct ListAlarmsStatus {
    pub compartment_id: String,
    pub compartment_id_in_subtree: Option<bool>,
    pub limit: Option<u32>,
    pub display_name: Option<String>,
    /// `displayName` or `severity`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    pub resource_id: Option<String>,
    pub service_name: Option<String>,
    pub entity_id: Option<String>,
    /// `FIRING` or `OK`.
    pub status: Option<String>,
}

impl ListAlarmsStatus {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListAlarmsStatus {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListAlarmsStatus",
            Service::Monitoring,
            "/alarms/status".to_owned(),
        )
        .query("compartmentId", &self.compartment_id)
        .query_opt("compartmentIdInSubtree", self.compartment_id_in_subtree)
        .query_opt("limit", self.limit)
        .query_opt("displayName", self.display_name.as_ref())
        .query_opt("sortBy", self.sort_by.as_ref())
        .query_opt("sortOrder", self.sort_order.as_ref())
        .query_opt("resourceId", self.resource_id.as_ref())
        .query_opt("serviceName", self.service_name.as_ref())
        .query_opt("entityId", self.entity_id.as_ref())
        .query_opt("status", self.status.as_ref())
    }
}

/// `GetAlarm`: one alarm definition.
pub fn get_alarm_request(alarm_id: &str) -> Request {
    Request::get(
        "GetAlarm",
        Service::Monitoring,
        format!("/alarms/{}", path_segment(alarm_id)),
    )
}

/// Which entries `GetAlarmHistory` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmHistoryType {
    /// Every evaluation of the alarm's state.
    StateHistory,
    /// Only the changes of state (OK to FIRING and back).
    StateTransitionHistory,
}

impl AlarmHistoryType {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmHistoryType::StateHistory => "STATE_HISTORY",
            AlarmHistoryType::StateTransitionHistory => "STATE_TRANSITION_HISTORY",
        }
    }
}

/// `GetAlarmHistory`: the history of one alarm, newest first. Its answer is a collection
/// object (`entries`), not a list body, so pages are read one call at a time.
#[derive(Debug, Clone)]
pub struct GetAlarmHistory {
    pub alarm_id: String,
    /// All types when `None`.
    pub alarm_historytype: Option<AlarmHistoryType>,
    pub limit: Option<u32>,
    /// Entries at or after this time (OCI's default: 7 days ago).
    pub timestamp_greater_than_or_equal_to: Option<Timestamp>,
    /// Entries before this time.
    pub timestamp_less_than: Option<Timestamp>,
}

impl GetAlarmHistory {
    pub fn new(alarm_id: impl Into<String>) -> Self {
        GetAlarmHistory {
            alarm_id: alarm_id.into(),
            alarm_historytype: None,
            limit: None,
            timestamp_greater_than_or_equal_to: None,
            timestamp_less_than: None,
        }
    }

    /// The first page when `page` is `None`, else the page the previous answer's
    /// `opc-next-page` named; query parameters in the SDK's order.
    pub fn request(&self, page: Option<&str>) -> Request {
        Request::get(
            "GetAlarmHistory",
            Service::Monitoring,
            format!("/alarms/{}/history", path_segment(&self.alarm_id)),
        )
        .query_opt(
            "alarmHistorytype",
            self.alarm_historytype.map(AlarmHistoryType::as_str),
        )
        .query_opt("page", page)
        .query_opt("limit", self.limit)
        .query_opt(
            "timestampGreaterThanOrEqualTo",
            self.timestamp_greater_than_or_equal_to,
        )
        .query_opt("timestampLessThan", self.timestamp_less_than)
    }
}

/// One metric stream's aggregated data (`MetricData`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricData {
    pub namespace: Option<String>,
    pub resource_group: Option<String>,
    pub compartment_id: Option<String>,
    pub name: Option<String>,
    /// `resourceId`, `resourceDisplayName`, ...
    #[serde(default, deserialize_with = "null_as_empty")]
    pub dimensions: BTreeMap<String, String>,
    /// `unit`, `displayName`, ...
    #[serde(default, deserialize_with = "null_as_empty")]
    pub metadata: BTreeMap<String, String>,
    pub resolution: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub aggregated_datapoints: Vec<AggregatedDatapoint>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AggregatedDatapoint {
    /// RFC 3339.
    pub timestamp: String,
    pub value: f64,
}

/// A metric that has data (`Metric`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub resource_group: Option<String>,
    pub compartment_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub dimensions: BTreeMap<String, String>,
}

/// An alarm definition (`AlarmSummary`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alarm {
    pub id: String,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub metric_compartment_id: Option<String>,
    pub namespace: Option<String>,
    pub resource_group: Option<String>,
    /// The MQL condition, `CpuUtilization[1m].mean() > 90`.
    pub query: Option<String>,
    /// `CRITICAL`, `ERROR`, `WARNING`, `INFO`.
    pub severity: Option<String>,
    /// Notification topic OCIDs.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub destinations: Vec<String>,
    pub is_enabled: Option<bool>,
    pub lifecycle_state: Option<String>,
    pub suppression: Option<Suppression>,
    pub rule_name: Option<String>,
    pub alarm_summary: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// An alarm's current state (`AlarmStatusSummary`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmStatus {
    pub id: String,
    pub display_name: Option<String>,
    /// `CRITICAL`, `ERROR`, `WARNING`, `INFO`.
    pub severity: Option<String>,
    pub rule_name: Option<String>,
    pub timestamp_triggered: Option<String>,
    pub alarm_summary: Option<String>,
    /// `FIRING`, `OK`, `SUSPENDED`.
    pub status: Option<String>,
    pub suppression: Option<Suppression>,
}

/// The answer of `GetAlarmHistory` (`AlarmHistoryCollection`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmHistoryCollection {
    pub alarm_id: Option<String>,
    pub is_enabled: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub entries: Vec<AlarmHistoryEntry>,
}

/// One entry of an alarm's history (`AlarmHistoryEntry`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmHistoryEntry {
    /// What happened, `The alarm state is FIRING`.
    pub summary: Option<String>,
    /// When (RFC 3339).
    pub timestamp: Option<String>,
    /// For a transition: when the alarm's state changed.
    pub timestamp_triggered: Option<String>,
    /// The alarm's own summary text (`alarmSummary`).
    pub alarm_summary: Option<String>,
}

/// One page of an alarm's history.
#[derive(Debug, Clone)]
pub struct AlarmHistoryPage {
    pub history: AlarmHistoryCollection,
    /// The `page` of the next call; `None` after the last page.
    pub next_page: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suppression {
    pub description: Option<String>,
    pub time_suppress_from: Option<String>,
    pub time_suppress_until: Option<String>,
}

impl Client {
    /// One item per metric stream; allowed 10 calls a second per tenancy.
    pub async fn summarize_metrics_data(
        &self,
        summarize: &SummarizeMetricsData,
    ) -> Result<Vec<MetricData>, Error> {
        self.call(&summarize.request()?).await
    }

    pub fn list_metrics(&self, list: &ListMetrics) -> Result<Pages<'_, Metric>, Error> {
        Ok(self.pages(list.request()?))
    }

    pub fn list_alarms(&self, list: &ListAlarms) -> Pages<'_, Alarm> {
        self.pages(list.request())
    }

    pub fn list_alarms_status(&self, list: &ListAlarmsStatus) -> Pages<'_, AlarmStatus> {
        self.pages(list.request())
    }

    pub async fn get_alarm(&self, alarm_id: &str) -> Result<Alarm, Error> {
        self.call(&get_alarm_request(alarm_id)).await
    }

    /// One page of an alarm's history: the first when `page` is `None`.
    pub async fn get_alarm_history(
        &self,
        history: &GetAlarmHistory,
        page: Option<&str>,
    ) -> Result<AlarmHistoryPage, Error> {
        let response = self.send(&history.request(page)).await?;
        Ok(AlarmHistoryPage {
            history: response.json()?,
            next_page: response.next_page().map(str::to_owned),
            request_id: response.request_id().map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{body_text, pairs, wire_query};

    #[test]
    fn summarize_metrics_data_is_the_captured_sdk_request() {
        let summarize = SummarizeMetricsData {
            compartment_id_in_subtree: Some(true),
            start_time: Some(Timestamp::parse("2024-05-01T00:00:00Z").expect("time")),
            end_time: Some(Timestamp::parse("2024-05-01T01:00:00Z").expect("time")),
            resolution: Some("5m".to_owned()),
            ..SummarizeMetricsData::new(
                "<tenancy>",
                "oci_computeagent",
                r#"CpuUtilization[1m]{resourceId = "ocid1.instance.oc1.iad.x"}.mean()"#,
            )
        };
        let request = summarize.request().expect("builds");
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.service, Service::Monitoring);
        assert_eq!(request.path, "/metrics/actions/summarizeMetricsData");
        assert_eq!(
            wire_query(&request),
            "compartmentId=%3Ctenancy%3E&compartmentIdInSubtree=true"
        );
        assert_eq!(
            body_text(&request),
            r#"{"namespace":"oci_computeagent","query":"CpuUtilization[1m]{resourceId = \"ocid1.instance.oc1.iad.x\"}.mean()","startTime":"2024-05-01T00:00:00Z","endTime":"2024-05-01T01:00:00Z","resolution":"5m"}"#
        );
        assert!(request.idempotent, "a search may be retried");
    }

    #[test]
    fn summarize_metrics_data_leaves_out_what_is_not_given() {
        let request = SummarizeMetricsData::new("c", "oci_vcn", "VnicToNetworkBytes[1h].sum()")
            .request()
            .expect("builds");
        assert_eq!(request.query, pairs(&[("compartmentId", "c")]));
        assert_eq!(
            body_text(&request),
            r#"{"namespace":"oci_vcn","query":"VnicToNetworkBytes[1h].sum()"}"#
        );
    }

    #[test]
    fn list_metrics_filters_in_the_body_and_pages_in_the_query() {
        let list = ListMetrics {
            namespace: Some("oci_computeagent".to_owned()),
            dimension_filters: BTreeMap::from([("resourceId".to_owned(), "i".to_owned())]),
            group_by: vec!["name".to_owned()],
            limit: Some(20),
            ..ListMetrics::new("c")
        };
        let request = list.request().expect("builds");
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.path, "/metrics/actions/listMetrics");
        assert_eq!(
            request.query,
            pairs(&[("compartmentId", "c"), ("limit", "20")])
        );
        assert_eq!(
            body_text(&request),
            r#"{"namespace":"oci_computeagent","dimensionFilters":{"resourceId":"i"},"groupBy":["name"]}"#
        );
        assert!(request.idempotent);
        assert_eq!(
            body_text(&ListMetrics::new("c").request().expect("builds")),
            "{}"
        );
    }

    #[test]
    fn alarm_lists_send_their_filters_in_the_sdk_order() {
        let alarms = ListAlarms {
            compartment_id_in_subtree: Some(true),
            lifecycle_state: Some("ACTIVE".to_owned()),
            limit: Some(10),
            ..ListAlarms::new("c")
        }
        .request();
        assert_eq!(alarms.method, Method::GET);
        assert_eq!(alarms.path, "/alarms");
        assert_eq!(
            alarms.query,
            pairs(&[
                ("compartmentId", "c"),
                ("limit", "10"),
                ("lifecycleState", "ACTIVE"),
                ("compartmentIdInSubtree", "true"),
            ])
        );
        let status = ListAlarmsStatus {
            compartment_id_in_subtree: Some(false),
            status: Some("FIRING".to_owned()),
            resource_id: Some("r".to_owned()),
            ..ListAlarmsStatus::new("c")
        }
        .request();
        assert_eq!(status.path, "/alarms/status");
        assert_eq!(
            status.query,
            pairs(&[
                ("compartmentId", "c"),
                ("compartmentIdInSubtree", "false"),
                ("resourceId", "r"),
                ("status", "FIRING"),
            ])
        );
    }

    #[test]
    fn the_sample_metric_data_parses() {
        let data: Vec<MetricData> = serde_json::from_str(
            r#"[{"namespace":"oci_computeagent","compartmentId":"ocid1.compartment.oc1..ccc","name":"CpuUtilization","dimensions":{"resourceId":"ocid1.instance.oc1.iad.aaa","resourceDisplayName":"web-1"},"metadata":{"unit":"percent","displayName":"CPU Utilization"},"resolution":"1m","aggregatedDatapoints":[{"timestamp":"2024-05-01T12:00:00Z","value":3.25}]}]"#,
        )
        .expect("parses");
        assert_eq!(data.len(), 1);
        assert_eq!(data[0].name.as_deref(), Some("CpuUtilization"));
        assert_eq!(data[0].dimensions["resourceDisplayName"], "web-1");
        assert_eq!(data[0].metadata["unit"], "percent");
        assert_eq!(
            data[0].aggregated_datapoints,
            [AggregatedDatapoint {
                timestamp: "2024-05-01T12:00:00Z".to_owned(),
                value: 3.25
            }]
        );
    }

    #[test]
    fn the_sample_alarms_and_statuses_parse() {
        let alarms: Vec<Alarm> = serde_json::from_str(
            r#"[{"id":"ocid1.alarm.oc1.iad.a","displayName":"High CPU","compartmentId":"ocid1.compartment.oc1..ccc","metricCompartmentId":"ocid1.compartment.oc1..ccc","namespace":"oci_computeagent","query":"CpuUtilization[1m].mean() > 90","severity":"CRITICAL","destinations":["ocid1.onstopic.oc1.iad.t"],"isEnabled":true,"lifecycleState":"ACTIVE"}]"#,
        )
        .expect("parses");
        assert_eq!(
            alarms[0].query.as_deref(),
            Some("CpuUtilization[1m].mean() > 90")
        );
        assert_eq!(alarms[0].destinations, ["ocid1.onstopic.oc1.iad.t"]);
        assert_eq!(alarms[0].is_enabled, Some(true));
        let statuses: Vec<AlarmStatus> = serde_json::from_str(
            r#"[{"id":"ocid1.alarm.oc1.iad.a","displayName":"High CPU","severity":"CRITICAL","ruleName":"BASE","timestampTriggered":"2024-05-01T12:00:00Z","alarmSummary":"CPU > 90%","status":"FIRING","suppression":{"description":"maintenance","timeSuppressFrom":"2024-05-01T00:00:00Z","timeSuppressUntil":"2024-05-02T00:00:00Z"}}]"#,
        )
        .expect("parses");
        assert_eq!(statuses[0].status.as_deref(), Some("FIRING"));
        assert_eq!(statuses[0].alarm_summary.as_deref(), Some("CPU > 90%"));
        let suppression = statuses[0].suppression.as_ref().expect("suppression");
        assert_eq!(
            suppression.time_suppress_until.as_deref(),
            Some("2024-05-02T00:00:00Z")
        );
    }

    #[test]
    fn get_alarm_and_its_history_are_the_sdk_requests() {
        let alarm = get_alarm_request("ocid1.alarm.oc1.iad.a");
        assert_eq!(alarm.method, Method::GET);
        assert_eq!(alarm.path, "/alarms/ocid1.alarm.oc1.iad.a");
        assert!(alarm.query.is_empty());
        let history = GetAlarmHistory {
            alarm_historytype: Some(AlarmHistoryType::StateTransitionHistory),
            limit: Some(20),
            timestamp_greater_than_or_equal_to: Some(
                Timestamp::parse("2024-05-01T00:00:00Z").expect("time"),
            ),
            timestamp_less_than: Some(Timestamp::parse("2024-05-02T00:00:00Z").expect("time")),
            ..GetAlarmHistory::new("ocid1.alarm.oc1.iad.a")
        };
        let first = history.request(None);
        assert_eq!(first.method, Method::GET);
        assert_eq!(first.service, Service::Monitoring);
        assert_eq!(first.path, "/alarms/ocid1.alarm.oc1.iad.a/history");
        assert_eq!(
            wire_query(&first),
            "alarmHistorytype=STATE_TRANSITION_HISTORY&limit=20&timestampGreaterThanOrEqualTo=2024-05-01T00%3A00%3A00Z&timestampLessThan=2024-05-02T00%3A00%3A00Z"
        );
        let next = history.request(Some("tok/en=="));
        assert_eq!(next.query[1], ("page".to_owned(), "tok/en==".to_owned()));
        assert!(GetAlarmHistory::new("a").request(None).query.is_empty());
        assert!(first.idempotent);
    }

    #[test]
    fn an_alarm_history_parses() {
        let history: AlarmHistoryCollection = serde_json::from_str(
            r#"{"alarmId":"ocid1.alarm.oc1.iad.a","isEnabled":true,"entries":[{"alarmSummary":"CPU > 90%","summary":"State transitioned from OK to Firing","timestamp":"2024-05-01T12:00:30Z","timestampTriggered":"2024-05-01T12:00:00Z"},{"summary":"State transitioned from Firing to OK","timestamp":"2024-05-01T08:00:00Z"}]}"#,
        )
        .expect("parses");
        assert_eq!(history.alarm_id.as_deref(), Some("ocid1.alarm.oc1.iad.a"));
        assert_eq!(history.is_enabled, Some(true));
        assert_eq!(history.entries.len(), 2);
        assert_eq!(
            history.entries[0].timestamp_triggered.as_deref(),
            Some("2024-05-01T12:00:00Z")
        );
        assert_eq!(history.entries[1].alarm_summary, None);
        let empty: AlarmHistoryCollection =
            serde_json::from_str(r#"{"entries":null}"#).expect("parses");
        assert!(empty.entries.is_empty());
    }

    #[test]
    fn a_metric_parses() {
        let metrics: Vec<Metric> = serde_json::from_str(
            r#"[{"name":"CpuUtilization","namespace":"oci_computeagent","compartmentId":"c","dimensions":{"resourceId":"i"}}]"#,
        )
        .expect("parses");
        assert_eq!(metrics[0].name.as_deref(), Some("CpuUtilization"));
        assert_eq!(metrics[0].dimensions["resourceId"], "i");
    }
}
