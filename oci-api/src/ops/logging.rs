//! Logging Search (`logging` host, `/20190909`): `SearchLogs`, the log query language over
//! compartments, log groups and logs. A POST search, paged with `page`; its answer is not a
//! list body, so pages are read one call at a time rather than with [`Pages`](crate::Pages).

use serde::{Deserialize, Serialize};

use super::{Timestamp, null_as_empty, with_json_body};
use crate::client::{Client, Error, Request};
use crate::region::Service;

/// `SearchLogs`.
#[derive(Debug, Clone)]
pub struct SearchLogs {
    /// Included.
    pub time_start: Timestamp,
    /// Excluded.
    pub time_end: Timestamp,
    /// `search "<compartment>[/<log group>[/<log>]]" | where level = 'ERROR' | sort by datetime desc`.
    pub search_query: String,
    /// Whether the answer lists the result fields and their types.
    pub is_return_field_info: bool,
    /// Results per page.
    pub limit: Option<u32>,
}

/// The body of `SearchLogs`, fields in the SDK's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SearchLogsDetails<'a> {
    time_start: Timestamp,
    time_end: Timestamp,
    search_query: &'a str,
    is_return_field_info: bool,
}

impl SearchLogs {
    pub fn new(
        time_start: Timestamp,
        time_end: Timestamp,
        search_query: impl Into<String>,
    ) -> Self {
        SearchLogs {
            time_start,
            time_end,
            search_query: search_query.into(),
            is_return_field_info: false,
            limit: None,
        }
    }

    /// The first page when `page` is `None`, else the page the previous answer's
    /// `opc-next-page` named.
    pub fn request(&self, page: Option<&str>) -> Result<Request, Error> {
        let request = Request::post("SearchLogs", Service::LoggingSearch, "/search".to_owned())
            .read_only()
            .query_opt("limit", self.limit)
            .query_opt("page", page);
        with_json_body(
            request,
            &SearchLogsDetails {
                time_start: self.time_start,
                time_end: self.time_end,
                search_query: &self.search_query,
                is_return_field_info: self.is_return_field_info,
            },
        )
    }
}

/// The answer of `SearchLogs` (`SearchResponse`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub results: Vec<SearchResult>,
    /// Present when `is_return_field_info` was set.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fields: Vec<FieldInfo>,
    pub summary: Option<SearchResultSummary>,
}

/// One log entry or aggregation row: free-form JSON. A log entry is usually
/// `{"datetime": <epoch ms>, "logContent": {"data": ..., "oracle": {...}, "source": ..., "time": ..., "type": ...}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchResult {
    #[serde(default)]
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldInfo {
    pub field_name: Option<String>,
    /// `STRING`, `NUMBER`, `BOOLEAN`, `ARRAY`.
    pub field_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResultSummary {
    pub result_count: Option<u64>,
    pub field_count: Option<u64>,
}

/// One page of log search results.
#[derive(Debug, Clone)]
pub struct LogSearchPage {
    pub response: SearchResponse,
    /// The `page` of the next call; `None` after the last page.
    pub next_page: Option<String>,
    pub request_id: Option<String>,
}

impl Client {
    /// One page of results: the first when `page` is `None`.
    pub async fn search_logs(
        &self,
        search: &SearchLogs,
        page: Option<&str>,
    ) -> Result<LogSearchPage, Error> {
        let response = self.send(&search.request(page)?).await?;
        Ok(LogSearchPage {
            response: response.json()?,
            next_page: response.next_page().map(str::to_owned),
            request_id: response.request_id().map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{body_text, pairs};

    fn captured_search() -> SearchLogs {
        SearchLogs {
            limit: Some(100),
            ..SearchLogs::new(
                Timestamp::parse("2024-05-01T00:00:00Z").expect("time"),
                Timestamp::parse("2024-05-01T01:00:00Z").expect("time"),
                r#"search "ocid1.compartment.oc1..c" | sort by datetime desc"#,
            )
        }
    }

    #[test]
    fn search_logs_is_the_captured_sdk_request() {
        let request = captured_search().request(None).expect("builds");
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.service, Service::LoggingSearch);
        assert_eq!(request.path, "/search");
        assert_eq!(request.query, pairs(&[("limit", "100")]));
        assert_eq!(
            body_text(&request),
            r#"{"timeStart":"2024-05-01T00:00:00Z","timeEnd":"2024-05-01T01:00:00Z","searchQuery":"search \"ocid1.compartment.oc1..c\" | sort by datetime desc","isReturnFieldInfo":false}"#
        );
        assert!(request.idempotent, "a search may be retried");
    }

    #[test]
    fn later_pages_carry_the_token_after_the_limit_and_the_same_body() {
        let search = captured_search();
        let first = search.request(None).expect("builds");
        let next = search.request(Some("tok/en==")).expect("builds");
        assert_eq!(next.query, pairs(&[("limit", "100"), ("page", "tok/en==")]));
        assert_eq!(body_text(&next), body_text(&first));
    }

    #[test]
    fn the_sample_search_response_parses() {
        let response: SearchResponse = serde_json::from_str(
            r#"{"results":[{"data":{"datetime":1714564800000,"logContent":{"data":{"message":"hello"},"id":"x","oracle":{"compartmentid":"ocid1.compartment.oc1..ccc","loggroupid":"ocid1.loggroup.oc1.iad.g","logid":"ocid1.log.oc1.iad.l","tenantid":"ocid1.tenancy.oc1..t","ingestedtime":"2024-05-01T12:00:01.000Z"},"source":"web-1","specversion":"1.0","time":"2024-05-01T12:00:00.000Z","type":"com.oraclecloud.logging.custom.app"}}}],"summary":{"resultCount":1,"fieldCount":0}}"#,
        )
        .expect("parses");
        assert_eq!(response.results.len(), 1);
        let data = &response.results[0].data;
        assert_eq!(data["datetime"], 1_714_564_800_000_u64);
        assert_eq!(data["logContent"]["data"]["message"], "hello");
        assert_eq!(data["logContent"]["oracle"]["logid"], "ocid1.log.oc1.iad.l");
        let summary = response.summary.expect("summary");
        assert_eq!(summary.result_count, Some(1));
        assert_eq!(summary.field_count, Some(0));
        assert!(response.fields.is_empty());
    }

    #[test]
    fn field_info_parses() {
        let response: SearchResponse = serde_json::from_str(
            r#"{"results":[],"fields":[{"fieldName":"logContent.data.message","fieldType":"STRING"}]}"#,
        )
        .expect("parses");
        assert_eq!(
            response.fields[0].field_name.as_deref(),
            Some("logContent.data.message")
        );
        assert_eq!(response.fields[0].field_type.as_deref(), Some("STRING"));
        assert!(response.summary.is_none());
    }
}
