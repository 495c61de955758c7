//! Log Analytics (`loganalytics` host, `/20200601`): the tenancy's namespace, the log
//! sources defined in it, and queries in the Log Analytics query language. Everything but
//! the namespace list sits under `/namespaces/{namespaceName}`. A query's answer is one
//! aggregation object whose next page is named by `opc-next-page-id`, so its pages are read
//! one call at a time rather than with [`Pages`].

use serde::{Deserialize, Serialize};

use super::{JsonObject, Timestamp, null_as_empty, path_segment, with_json_body};
use crate::client::{Client, Error, Pages, Request, Response};
use crate::region::Service;

/// `ListNamespaces`: the Log Analytics namespace of a tenancy (one item at most).
pub fn list_namespaces_request(compartment_id: &str) -> Request {
    Request::get(
        "ListNamespaces",
        Service::LogAnalytics,
        "/namespaces".to_owned(),
    )
    .query("compartmentId", compartment_id)
}

/// `ListSources`: the log sources (parsers and their log types) of a namespace.
#[derive(Debug, Clone, Default)]
pub struct ListSources {
    pub namespace_name: String,
    pub compartment_id: String,
    /// Only sources for entities of this type (case-insensitive).
    pub entity_type: Option<String>,
    /// Only sources whose display name or description contains this text.
    pub source_display_text: Option<String>,
    /// `ALL`, `CUSTOM` or `BUILT_IN`.
    pub is_system: Option<String>,
    pub is_auto_associated: Option<bool>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    /// `name`, `timeUpdated`, `associationCount` or `sourceType`.
    pub sort_by: Option<String>,
    pub limit: Option<u32>,
    /// Only the source with exactly this internal name (case-insensitive).
    pub name: Option<String>,
    /// Comma-separated categories.
    pub categories: Option<String>,
    /// Only the id and name of each source.
    pub is_simplified: Option<bool>,
}

impl ListSources {
    pub fn new(namespace_name: impl Into<String>, compartment_id: impl Into<String>) -> Self {
        ListSources {
            namespace_name: namespace_name.into(),
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListSources",
            Service::LogAnalytics,
            format!("/namespaces/{}/sources", path_segment(&self.namespace_name)),
        )
        .query("compartmentId", &self.compartment_id)
        .query_opt("entityType", self.entity_type.as_ref())
        .query_opt("sourceDisplayText", self.source_display_text.as_ref())
        .query_opt("isSystem", self.is_system.as_ref())
        .query_opt("isAutoAssociated", self.is_auto_associated)
        .query_opt("sortOrder", self.sort_order.as_ref())
        .query_opt("sortBy", self.sort_by.as_ref())
        .query_opt("limit", self.limit)
        .query_opt("name", self.name.as_ref())
        .query_opt("categories", self.categories.as_ref())
        .query_opt("isSimplified", self.is_simplified)
    }
}

/// `Query`: runs a Log Analytics query (synchronously) over a time range.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub namespace_name: String,
    pub compartment_id: String,
    pub compartment_id_in_subtree: Option<bool>,
    /// `'Log Source' = 'Linux Syslog Logs' | stats count by 'Host Name (Server)'`.
    pub query_string: String,
    /// The most results to count (OCI caps it at 2001).
    pub max_total_count: Option<u32>,
    pub time_filter: Option<TimeRange>,
    pub query_timeout_in_seconds: Option<u32>,
    /// Whether the answer carries `totalCount`.
    pub should_include_total_count: Option<bool>,
    /// Rows per answer.
    pub limit: Option<u32>,
}

/// A query's time range (`TimeRange`): start included, end excluded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeRange {
    pub time_start: Timestamp,
    pub time_end: Timestamp,
    /// An IANA zone for the query's time functions; UTC when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// The body of `Query` (`QueryDetails`), fields in the SDK's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryDetails<'a> {
    compartment_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    compartment_id_in_subtree: Option<bool>,
    query_string: &'a str,
    /// `LOG`, the only subsystem.
    sub_system: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_total_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_filter: Option<&'a TimeRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_timeout_in_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    should_include_total_count: Option<bool>,
}

impl Query {
    pub fn new(
        namespace_name: impl Into<String>,
        compartment_id: impl Into<String>,
        query_string: impl Into<String>,
    ) -> Self {
        Query {
            namespace_name: namespace_name.into(),
            compartment_id: compartment_id.into(),
            query_string: query_string.into(),
            ..Default::default()
        }
    }

    /// The first page when `page` is `None`, else the page the previous answer named.
    pub fn request(&self, page: Option<&str>) -> Result<Request, Error> {
        let request = Request::post(
            "Query",
            Service::LogAnalytics,
            format!(
                "/namespaces/{}/search/actions/query",
                path_segment(&self.namespace_name)
            ),
        )
        .read_only()
        .query_opt("page", page)
        .query_opt("limit", self.limit);
        with_json_body(
            request,
            &QueryDetails {
                compartment_id: &self.compartment_id,
                compartment_id_in_subtree: self.compartment_id_in_subtree,
                query_string: &self.query_string,
                sub_system: "LOG",
                max_total_count: self.max_total_count,
                time_filter: self.time_filter.as_ref(),
                query_timeout_in_seconds: self.query_timeout_in_seconds,
                should_include_total_count: self.should_include_total_count,
            },
        )
    }
}

/// The answer of `ListNamespaces` (`NamespaceCollection`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NamespaceCollection {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub items: Vec<Namespace>,
}

/// A tenancy's Log Analytics namespace (`NamespaceSummary`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Namespace {
    pub namespace_name: String,
    /// The tenancy.
    pub compartment_id: Option<String>,
    /// Whether the tenancy is onboarded to Log Analytics (queries fail until it is).
    pub is_onboarded: Option<bool>,
    pub is_log_set_enabled: Option<bool>,
    pub is_data_ever_ingested: Option<bool>,
}

/// A log source (`LogAnalyticsSourceSummary`, the fields the tools read).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogSource {
    /// The internal name.
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub source_id: Option<i64>,
    /// `true` for Oracle-defined sources, `false` for custom ones.
    pub is_system: Option<bool>,
    /// The source type's internal name, `os_file`.
    pub type_name: Option<String>,
    /// `File`, `Oracle Unified DB Audit Log Source Stored in the Database`, ...
    pub type_display_name: Option<String>,
    /// How many entities the source is associated with.
    pub association_count: Option<i64>,
    pub pattern_count: Option<i64>,
    pub is_auto_association_enabled: Option<bool>,
    pub is_for_cloud: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub entity_types: Vec<SourceEntityType>,
    pub time_updated: Option<String>,
}

/// An entity type a source applies to (`LogAnalyticsSourceEntityType`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceEntityType {
    pub entity_type: Option<String>,
    pub entity_type_category: Option<String>,
    pub entity_type_display_name: Option<String>,
}

/// The answer of `Query` (`QueryAggregation`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryAggregation {
    /// Rows the query retrieved, up to `maxTotalCount`.
    pub total_count: Option<u64>,
    /// Rows the query matched.
    pub total_matched_count: Option<u64>,
    pub are_partial_results: Option<bool>,
    pub partial_result_reason: Option<String>,
    /// The result's columns, in order.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub columns: Vec<QueryColumn>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fields: Vec<QueryColumn>,
    /// The rows: one object each, keyed by column.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub items: Vec<JsonObject>,
    pub query_execution_time_in_ms: Option<u64>,
    pub percent_complete: Option<u32>,
}

/// A result column (`AbstractColumn`; its `type` says which kind).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryColumn {
    /// `COLUMN`, `TIME_COLUMN`, `CHART_COLUMN`, `CHART_DATA_COLUMN`, `TREND_COLUMN`,
    /// `CLASSIFY_COLUMN`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The name shown, an alias when the query renamed the column.
    pub display_name: Option<String>,
    pub internal_name: Option<String>,
    pub original_display_name: Option<String>,
    /// `STRING`, `LONG`, `DOUBLE`, `TIMESTAMP`, ...
    pub value_type: Option<String>,
}

/// One page of query results.
#[derive(Debug, Clone)]
pub struct QueryPage {
    pub aggregation: QueryAggregation,
    /// The `page` of the next call; `None` after the last page.
    pub next_page: Option<String>,
    pub request_id: Option<String>,
}

/// The next page a query answer names: `opc-next-page-id`, which `Query` documents, or
/// `opc-next-page`, which the namespace's list calls use.
fn query_next_page(response: &Response) -> Option<String> {
    response
        .headers
        .get("opc-next-page-id")
        .and_then(|value| value.to_str().ok())
        .or_else(|| response.next_page())
        .map(str::to_owned)
}

impl Client {
    /// The tenancy's namespaces (one, once the tenancy is onboarded).
    pub async fn list_namespaces(&self, compartment_id: &str) -> Result<Vec<Namespace>, Error> {
        let collection: NamespaceCollection =
            self.call(&list_namespaces_request(compartment_id)).await?;
        Ok(collection.items)
    }

    pub fn list_sources(&self, list: &ListSources) -> Pages<'_, LogSource> {
        self.pages(list.request())
    }

    /// One page of a query's results: the first when `page` is `None`.
    pub async fn query_logs(&self, query: &Query, page: Option<&str>) -> Result<QueryPage, Error> {
        let response = self.send(&query.request(page)?).await?;
        Ok(QueryPage {
            aggregation: response.json()?,
            next_page: query_next_page(&response),
            request_id: response.request_id().map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{body_text, pairs, wire_query};
    use crate::region::Region;

    #[test]
    fn log_analytics_has_its_own_host_and_version() {
        assert_eq!(
            Service::LogAnalytics.endpoint(&Region::new("iad")),
            "https://loganalytics.us-ashburn-1.oci.oraclecloud.com"
        );
        assert_eq!(Service::LogAnalytics.base_path(), "/20200601");
        assert_eq!(
            Service::from_name("loganalytics"),
            Some(Service::LogAnalytics)
        );
    }

    #[test]
    fn namespaces_are_listed_for_the_tenancy() {
        let request = list_namespaces_request("ocid1.tenancy.oc1..t");
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.path, "/namespaces");
        assert_eq!(
            request.query,
            pairs(&[("compartmentId", "ocid1.tenancy.oc1..t")])
        );
        assert_eq!(request.operation, "ListNamespaces");
    }

    #[test]
    fn list_sources_sends_its_filters_in_the_sdk_order() {
        let list = ListSources {
            source_display_text: Some("syslog".to_owned()),
            is_system: Some("ALL".to_owned()),
            sort_by: Some("name".to_owned()),
            limit: Some(20),
            name: Some("LinuxSyslogSource".to_owned()),
            ..ListSources::new("ns/x", "c")
        };
        let request = list.request();
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.path, "/namespaces/ns%2Fx/sources");
        assert_eq!(
            request.query,
            pairs(&[
                ("compartmentId", "c"),
                ("sourceDisplayText", "syslog"),
                ("isSystem", "ALL"),
                ("sortBy", "name"),
                ("limit", "20"),
                ("name", "LinuxSyslogSource"),
            ])
        );
    }

    #[test]
    fn a_query_posts_its_details_with_the_time_filter() {
        let query = Query {
            max_total_count: Some(500),
            time_filter: Some(TimeRange {
                time_start: Timestamp::parse("2024-05-01T00:00:00Z").expect("time"),
                time_end: Timestamp::parse("2024-05-01T01:00:00Z").expect("time"),
                time_zone: None,
            }),
            should_include_total_count: Some(true),
            limit: Some(50),
            ..Query::new(
                "acme",
                "ocid1.compartment.oc1..c",
                "* | stats count by 'Log Source'",
            )
        };
        let request = query.request(None).expect("builds");
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.service, Service::LogAnalytics);
        assert_eq!(request.path, "/namespaces/acme/search/actions/query");
        assert_eq!(request.query, pairs(&[("limit", "50")]));
        assert_eq!(
            body_text(&request),
            r#"{"compartmentId":"ocid1.compartment.oc1..c","queryString":"* | stats count by 'Log Source'","subSystem":"LOG","maxTotalCount":500,"timeFilter":{"timeStart":"2024-05-01T00:00:00Z","timeEnd":"2024-05-01T01:00:00Z"},"shouldIncludeTotalCount":true}"#
        );
        assert!(request.idempotent, "a query only reads");
        let next = query.request(Some("p/2==")).expect("builds");
        assert_eq!(wire_query(&next), "page=p%2F2%3D%3D&limit=50");
        assert_eq!(body_text(&next), body_text(&request));
    }

    #[test]
    fn the_answers_parse() {
        let namespaces: NamespaceCollection = serde_json::from_str(
            r#"{"items":[{"namespaceName":"acme","compartmentId":"ocid1.tenancy.oc1..t","isOnboarded":true,"isDataEverIngested":true}]}"#,
        )
        .expect("parses");
        assert_eq!(namespaces.items[0].namespace_name, "acme");
        assert_eq!(namespaces.items[0].is_onboarded, Some(true));
        let sources: Vec<LogSource> = serde_json::from_str(
            r#"[{"name":"LinuxSyslogSource","displayName":"Linux Syslog Logs","sourceId":101,"isSystem":true,"typeName":"os_file","typeDisplayName":"File","associationCount":3,"entityTypes":[{"entityType":"omc_host_linux","entityTypeCategory":"Host","entityTypeDisplayName":"Host (Linux)"}],"timeUpdated":"2024-05-01T12:00:00.000Z","patterns":null}]"#,
        )
        .expect("parses");
        assert_eq!(sources[0].source_id, Some(101));
        assert_eq!(sources[0].type_display_name.as_deref(), Some("File"));
        assert_eq!(
            sources[0].entity_types[0].entity_type.as_deref(),
            Some("omc_host_linux")
        );
        let aggregation: QueryAggregation = serde_json::from_str(
            r#"{"totalCount":2,"totalMatchedCount":2,"arePartialResults":false,"columns":[{"type":"COLUMN","displayName":"Log Source","internalName":"src","valueType":"STRING"},{"type":"COLUMN","displayName":"Count","internalName":"count","valueType":"LONG"}],"fields":null,"items":[{"Log Source":"Linux Syslog Logs","Count":12},{"Log Source":"OCI Audit Logs","Count":3}],"queryExecutionTimeInMs":41,"percentComplete":100}"#,
        )
        .expect("parses");
        assert_eq!(aggregation.columns.len(), 2);
        assert_eq!(aggregation.columns[1].kind.as_deref(), Some("COLUMN"));
        assert_eq!(aggregation.items[1]["Count"], 3);
        assert!(aggregation.fields.is_empty());
        assert_eq!(aggregation.percent_complete, Some(100));
    }
}
