//! Usage API (`usageapi` host, `/20200107`): cost and usage summaries of a tenancy, grouped
//! and filtered by service, compartment, tag, ...

use serde::{Deserialize, Serialize};

use super::{Timestamp, null_as_empty, with_json_body};
use crate::client::{Client, Error, Pages, Request};
use crate::region::Service;

/// How finely usage is bucketed in time. Start and end must fall on its boundaries
/// (midnight UTC for `Daily`, the first of a month for `Monthly`), or OCI answers 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Granularity {
    Hourly,
    Daily,
    Monthly,
    /// Documented as not yet supported.
    Total,
}

/// What the amounts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UsageQueryType {
    /// Quantities only.
    #[serde(rename = "USAGE")]
    Usage,
    /// Cost (OCI's default).
    #[serde(rename = "COST")]
    Cost,
    #[serde(rename = "CREDIT")]
    Credit,
    #[serde(rename = "EXPIREDCREDIT")]
    ExpiredCredit,
    #[serde(rename = "ALLCREDIT")]
    AllCredit,
    #[serde(rename = "USAGE_ONLY")]
    UsageOnly,
}

/// `RequestSummarizedUsages`: a search sent as a POST, paged with `page`.
#[derive(Debug, Clone)]
pub struct RequestSummarizedUsages {
    /// The tenancy OCID.
    pub tenant_id: String,
    /// Included.
    pub time_usage_started: Timestamp,
    /// Excluded.
    pub time_usage_ended: Timestamp,
    pub granularity: Granularity,
    pub is_aggregate_by_time: Option<bool>,
    pub forecast: Option<Forecast>,
    pub query_type: Option<UsageQueryType>,
    /// `service`, `compartmentName`, `skuName`, `region`, `resourceId`, `tagKey`, ...
    pub group_by: Vec<String>,
    /// One tag at most: `{namespace, key}`.
    pub group_by_tag: Vec<Tag>,
    /// 1 to 7.
    pub compartment_depth: Option<f64>,
    pub filter: Option<Filter>,
    /// Items per page.
    pub limit: Option<u32>,
}

/// The body of `RequestSummarizedUsages`, fields in the SDK's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestSummarizedUsagesDetails<'a> {
    tenant_id: &'a str,
    time_usage_started: Timestamp,
    time_usage_ended: Timestamp,
    granularity: Granularity,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_aggregate_by_time: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    forecast: Option<&'a Forecast>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_type: Option<UsageQueryType>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    group_by: &'a [String],
    #[serde(skip_serializing_if = "<[Tag]>::is_empty")]
    group_by_tag: &'a [Tag],
    #[serde(skip_serializing_if = "Option::is_none")]
    compartment_depth: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<&'a Filter>,
}

impl RequestSummarizedUsages {
    pub fn new(
        tenant_id: impl Into<String>,
        time_usage_started: Timestamp,
        time_usage_ended: Timestamp,
        granularity: Granularity,
    ) -> Self {
        RequestSummarizedUsages {
            tenant_id: tenant_id.into(),
            time_usage_started,
            time_usage_ended,
            granularity,
            is_aggregate_by_time: None,
            forecast: None,
            query_type: None,
            group_by: Vec::new(),
            group_by_tag: Vec::new(),
            compartment_depth: None,
            filter: None,
            limit: None,
        }
    }

    pub fn request(&self) -> Result<Request, Error> {
        let request = Request::post(
            "RequestSummarizedUsages",
            Service::Usage,
            "/usage".to_owned(),
        )
        .read_only()
        .query_opt("limit", self.limit);
        with_json_body(
            request,
            &RequestSummarizedUsagesDetails {
                tenant_id: &self.tenant_id,
                time_usage_started: self.time_usage_started,
                time_usage_ended: self.time_usage_ended,
                granularity: self.granularity,
                is_aggregate_by_time: self.is_aggregate_by_time,
                forecast: self.forecast.as_ref(),
                query_type: self.query_type,
                group_by: &self.group_by,
                group_by_tag: &self.group_by_tag,
                compartment_depth: self.compartment_depth,
                filter: self.filter.as_ref(),
            },
        )
    }
}

/// A forecast appended to the answer (items with `isForecast`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Forecast {
    /// `BASIC`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecast_type: Option<String>,
    /// OCI's default is the end of the usage period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_forecast_started: Option<Timestamp>,
    pub time_forecast_ended: Timestamp,
}

/// A tag to group or filter by, and a tag on a usage item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Which usage to count: dimensions and tags joined by `operator`, nested filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// `AND`, `OR` or `NOT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Dimension>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
}

impl Filter {
    /// Only the usage whose `key` (a `groupBy` name: `service`, `compartmentId`, ...) is
    /// `value`.
    pub fn equals(key: impl Into<String>, value: impl Into<String>) -> Self {
        Filter {
            operator: Some("AND".to_owned()),
            dimensions: vec![Dimension {
                key: key.into(),
                value: value.into(),
            }],
            ..Filter::default()
        }
    }
}

/// `key` (a `groupBy` name such as `compartmentName`) equal to `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dimension {
    pub key: String,
    pub value: String,
}

/// The whole answer of one page (`UsageAggregation`); [`Client::request_summarized_usages`]
/// yields its `items`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageAggregation {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub group_by: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub items: Vec<UsageSummary>,
}

/// One bucket of usage (`UsageSummary`); fields not grouped by are absent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageSummary {
    pub time_usage_started: Option<String>,
    pub time_usage_ended: Option<String>,
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
    pub compartment_id: Option<String>,
    pub compartment_name: Option<String>,
    pub compartment_path: Option<String>,
    pub service: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub region: Option<String>,
    pub ad: Option<String>,
    pub shape: Option<String>,
    pub platform: Option<String>,
    pub sku_name: Option<String>,
    pub sku_part_number: Option<String>,
    pub unit: Option<String>,
    /// The cost, in `currency`.
    pub computed_amount: Option<f64>,
    /// The usage, in `unit`.
    pub computed_quantity: Option<f64>,
    pub currency: Option<String>,
    pub unit_price: Option<f64>,
    pub list_rate: Option<f64>,
    pub discount: Option<f64>,
    pub overage: Option<String>,
    pub is_forecast: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<Tag>,
}

impl Client {
    /// The usage items, page by page (a POST search, retried like a read).
    pub fn request_summarized_usages(
        &self,
        usages: &RequestSummarizedUsages,
    ) -> Result<Pages<'_, UsageSummary>, Error> {
        Ok(self.pages(usages.request()?))
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{body_text, pairs};

    fn time(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("a valid time")
    }

    #[test]
    fn request_summarized_usages_is_the_captured_sdk_request() {
        let usages = RequestSummarizedUsages {
            query_type: Some(UsageQueryType::Cost),
            group_by: vec!["service".to_owned()],
            ..RequestSummarizedUsages::new(
                "<tenancy>",
                time("2024-05-01T00:00:00Z"),
                time("2024-05-08T00:00:00Z"),
                Granularity::Daily,
            )
        };
        let request = usages.request().expect("builds");
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.service, Service::Usage);
        assert_eq!(request.path, "/usage");
        assert!(request.query.is_empty());
        assert_eq!(
            body_text(&request),
            r#"{"tenantId":"<tenancy>","timeUsageStarted":"2024-05-01T00:00:00Z","timeUsageEnded":"2024-05-08T00:00:00Z","granularity":"DAILY","queryType":"COST","groupBy":["service"]}"#
        );
        assert!(request.idempotent, "a search may be retried");
    }

    #[test]
    fn tag_grouping_filters_and_paging_are_sent_when_given() {
        let usages = RequestSummarizedUsages {
            query_type: Some(UsageQueryType::UsageOnly),
            group_by_tag: vec![Tag {
                namespace: Some("oracle".to_owned()),
                key: Some("createdBy".to_owned()),
                value: None,
            }],
            compartment_depth: Some(2.0),
            filter: Some(Filter {
                operator: Some("AND".to_owned()),
                dimensions: vec![Dimension {
                    key: "compartmentName".to_owned(),
                    value: "prod".to_owned(),
                }],
                ..Default::default()
            }),
            limit: Some(500),
            ..RequestSummarizedUsages::new(
                "t",
                time("2024-05-01T00:00:00Z"),
                time("2024-06-01T00:00:00Z"),
                Granularity::Monthly,
            )
        };
        let request = usages.request().expect("builds");
        assert_eq!(request.query, pairs(&[("limit", "500")]));
        assert_eq!(
            body_text(&request),
            r#"{"tenantId":"t","timeUsageStarted":"2024-05-01T00:00:00Z","timeUsageEnded":"2024-06-01T00:00:00Z","granularity":"MONTHLY","queryType":"USAGE_ONLY","groupByTag":[{"namespace":"oracle","key":"createdBy"}],"compartmentDepth":2.0,"filter":{"operator":"AND","dimensions":[{"key":"compartmentName","value":"prod"}]}}"#
        );
    }

    #[test]
    fn a_filter_on_one_dimension_is_an_and_of_it() {
        let usages = RequestSummarizedUsages {
            filter: Some(Filter::equals("service", "COMPUTE")),
            ..RequestSummarizedUsages::new(
                "t",
                time("2024-05-01T00:00:00Z"),
                time("2024-05-08T00:00:00Z"),
                Granularity::Daily,
            )
        };
        assert_eq!(
            body_text(&usages.request().expect("builds")),
            r#"{"tenantId":"t","timeUsageStarted":"2024-05-01T00:00:00Z","timeUsageEnded":"2024-05-08T00:00:00Z","granularity":"DAILY","filter":{"operator":"AND","dimensions":[{"key":"service","value":"COMPUTE"}]}}"#
        );
    }

    #[test]
    fn a_forecast_is_sent_with_only_its_given_times() {
        let usages = RequestSummarizedUsages {
            forecast: Some(Forecast {
                forecast_type: Some("BASIC".to_owned()),
                time_forecast_started: None,
                time_forecast_ended: time("2024-06-01T00:00:00Z"),
            }),
            ..RequestSummarizedUsages::new(
                "t",
                time("2024-05-01T00:00:00Z"),
                time("2024-05-08T00:00:00Z"),
                Granularity::Daily,
            )
        };
        assert_eq!(
            body_text(&usages.request().expect("builds")),
            r#"{"tenantId":"t","timeUsageStarted":"2024-05-01T00:00:00Z","timeUsageEnded":"2024-05-08T00:00:00Z","granularity":"DAILY","forecast":{"forecastType":"BASIC","timeForecastEnded":"2024-06-01T00:00:00Z"}}"#
        );
    }

    #[test]
    fn every_query_type_and_granularity_has_the_api_spelling() {
        let query_types = [
            UsageQueryType::Usage,
            UsageQueryType::Cost,
            UsageQueryType::Credit,
            UsageQueryType::ExpiredCredit,
            UsageQueryType::AllCredit,
            UsageQueryType::UsageOnly,
        ];
        assert_eq!(
            serde_json::to_string(&query_types).expect("serializes"),
            r#"["USAGE","COST","CREDIT","EXPIREDCREDIT","ALLCREDIT","USAGE_ONLY"]"#
        );
        let granularities = [
            Granularity::Hourly,
            Granularity::Daily,
            Granularity::Monthly,
            Granularity::Total,
        ];
        assert_eq!(
            serde_json::to_string(&granularities).expect("serializes"),
            r#"["HOURLY","DAILY","MONTHLY","TOTAL"]"#
        );
    }

    #[test]
    fn the_sample_usage_aggregation_parses() {
        let aggregation: UsageAggregation = serde_json::from_str(
            r#"{"groupBy":["service"],"items":[{"service":"COMPUTE","unit":"OCPU Hours","timeUsageStarted":"2024-05-01T12:00:00Z","timeUsageEnded":"2024-05-02T12:00:00Z","computedAmount":12.5,"computedQuantity":240.0,"currency":"USD","tags":[]}]}"#,
        )
        .expect("parses");
        assert_eq!(aggregation.group_by, ["service"]);
        let item = &aggregation.items[0];
        assert_eq!(item.service.as_deref(), Some("COMPUTE"));
        assert_eq!(item.computed_amount, Some(12.5));
        assert_eq!(item.computed_quantity, Some(240.0));
        assert_eq!(item.currency.as_deref(), Some("USD"));
        assert_eq!(
            item.time_usage_started.as_deref(),
            Some("2024-05-01T12:00:00Z")
        );
        assert!(item.tags.is_empty());
    }

    #[test]
    fn usage_items_with_nulls_and_tags_parse() {
        let item: UsageSummary = serde_json::from_str(
            r#"{"computedAmount":null,"compartmentName":"prod","tags":[{"namespace":"oracle","key":"createdBy","value":"alice"}],"isForecast":false}"#,
        )
        .expect("parses");
        assert_eq!(item.computed_amount, None);
        assert_eq!(item.tags[0].value.as_deref(), Some("alice"));
        assert_eq!(item.is_forecast, Some(false));
    }
}
