//! OCI Logging search: a full query or a filter on a compartment, log group or log, over a
//! window, and the rows of its results (time, level, source, type, message).

use oci_api::ops::Timestamp;
use oci_api::ops::logging::SearchLogs;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::super::args::{self, ocid_opt};
use super::super::error::ToolError;
use super::super::output::{Markdown, opt, page_footer, table};
use super::super::toolbox::Call;
use super::{LOG_HOURS, Window};

/// The longest log window, in hours (Logging search covers 14 days at a time).
const LOG_MAX_HOURS: u32 = 336;
/// The longest message shown in a markdown table cell.
const MESSAGE_CELL: usize = 200;
/// Log levels counted as errors.
pub(super) const ERROR_LEVELS: [&str; 6] =
    ["ERROR", "ERR", "CRITICAL", "FATAL", "SEVERE", "EMERGENCY"];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SearchLogsArgs {
    /// A full Logging query starting with `search` (`search "<compartment OCID>/<log group OCID>" | where level = 'ERROR' | sort by datetime desc`), or a filter applied to the scope below (`where data.message = '*refused*'`); default: every entry of the scope, newest first.
    query: Option<String>,
    /// The compartment to search (when `query` is not a full query); default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// Only this log group (OCID) of the compartment.
    log_group_id: Option<String>,
    /// Only this log (OCID) of the log group.
    log_id: Option<String>,
    /// The window in hours, ending now (default 1, at most 336); or give time_start.
    hours: Option<u32>,
    /// Start of the window (RFC 3339, included).
    time_start: Option<String>,
    /// End of the window (RFC 3339, excluded); default now.
    time_end: Option<String>,
    /// Rows per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page (pass the same query and time range).
    cursor: Option<String>,
}

/// One log entry (or aggregation row) of a search.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LogRow {
    /// When the entry happened (RFC 3339).
    pub time: Option<String>,
    /// `level` (or `severity`) of the entry's data, when it has one.
    pub level: Option<String>,
    /// The entry's source (host, resource, function...).
    pub source: Option<String>,
    /// The entry's type, `com.oraclecloud.logging.custom.app`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The message, or the entry's data as JSON when it has no message field.
    pub message: Option<String>,
    /// The log the entry is in.
    pub log_id: Option<String>,
}

impl LogRow {
    /// The row of one search result (`{"datetime", "logContent": {...}}`).
    pub(super) fn of(data: &Value) -> Self {
        let content = data.get("logContent").unwrap_or(data);
        let text = |value: Option<&Value>| match value {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        let payload = content.get("data");
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| payload.and_then(|p| p.get(*name)).filter(|v| !v.is_null()))
        };
        let time = text(content.get("time")).or_else(|| {
            data.get("datetime")
                .and_then(Value::as_i64)
                .map(|ms| Timestamp::from_unix(ms.div_euclid(1000)).to_string())
        });
        let message = text(field(&["message", "msg", "log"])).or_else(|| match payload {
            Some(Value::Object(object)) if object.is_empty() => None,
            Some(Value::Null) => None,
            Some(other) => text(Some(other)),
            None if data.get("logContent").is_none() => text(Some(data)),
            None => None,
        });
        LogRow {
            time,
            level: text(field(&["level", "severity"])),
            source: text(content.get("source")),
            kind: text(content.get("type")),
            message,
            log_id: text(content.get("oracle").and_then(|o| o.get("logid"))),
        }
    }

    pub(super) fn is_error(&self) -> bool {
        self.level
            .as_deref()
            .is_some_and(|level| ERROR_LEVELS.contains(&level.to_ascii_uppercase().as_str()))
    }

    pub(super) fn cells(&self) -> Vec<String> {
        let message = self.message.clone().unwrap_or_default();
        let message = if message.chars().count() > MESSAGE_CELL {
            format!(
                "{}…",
                message.chars().take(MESSAGE_CELL).collect::<String>()
            )
        } else {
            message
        };
        vec![
            opt(self.time.as_deref()),
            opt(self.level.as_deref()),
            opt(self.source.as_deref()),
            opt(self.kind.as_deref()),
            message,
        ]
    }
}

pub(super) const LOG_COLUMNS: &[&str] = &["time", "level", "source", "type", "message"];

/// One page of log search results.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LogSearch {
    /// The query sent.
    pub query: String,
    /// The window searched (RFC 3339); pass it again with `cursor`.
    pub time_start: String,
    pub time_end: String,
    pub items: Vec<LogRow>,
    /// How many results OCI says the page has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_count: Option<u64>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Markdown for LogSearch {
    fn markdown(&self) -> String {
        let mut text = format!(
            "Query: `{}`\nWindow: {} .. {}\n\n",
            self.query, self.time_start, self.time_end
        );
        text.push_str(&table(LOG_COLUMNS, self.items.iter().map(LogRow::cells)));
        text.push_str(&page_footer(self.items.len(), self.next_cursor.as_deref()));
        text
    }
}

/// The Logging query to send: `query` when it is a full query, else a search of the scope
/// with `query` as a filter, newest first unless it sorts itself.
fn logging_query(query: Option<&str>, scope: &str) -> String {
    let query = query.map(str::trim).filter(|q| !q.is_empty());
    match query {
        Some(full) if full.to_ascii_lowercase().starts_with("search ") => full.to_owned(),
        Some(filter) => {
            let filter = filter.trim_start_matches('|').trim();
            let mut text = format!("search \"{scope}\" | {filter}");
            if !filter.to_ascii_lowercase().contains("sort by") {
                text.push_str(" | sort by datetime desc");
            }
            text
        }
        None => format!("search \"{scope}\" | sort by datetime desc"),
    }
}

pub(super) async fn search_logs(call: Call, args: SearchLogsArgs) -> Result<LogSearch, ToolError> {
    ocid_opt("log_group_id", args.log_group_id.as_deref(), &["loggroup"])?;
    ocid_opt("log_id", args.log_id.as_deref(), &["log"])?;
    if args.log_id.is_some() && args.log_group_id.is_none() {
        return Err(ToolError::invalid(
            "`log_id` needs its `log_group_id` (the scope is compartment/log group/log)",
        ));
    }
    let window = Window::of(
        call.now(),
        args.hours,
        args.time_start.as_deref(),
        args.time_end.as_deref(),
        LOG_HOURS,
        LOG_MAX_HOURS,
    )?;
    let compartment = call.compartment(args.compartment_id).await?;
    let scope = [Some(compartment), args.log_group_id, args.log_id]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("/");
    let query = logging_query(args.query.as_deref(), &scope);
    let client = call.client().await?;
    let search = SearchLogs {
        limit: Some(args::limit(args.limit)),
        ..SearchLogs::new(window.start, window.end, query.clone())
    };
    let page = client.search_logs(&search, args.cursor.as_deref()).await?;
    Ok(LogSearch {
        query,
        time_start: window.start.to_string(),
        time_end: window.end.to_string(),
        items: page
            .response
            .results
            .iter()
            .map(|r| LogRow::of(&r.data))
            .collect(),
        result_count: page.response.summary.and_then(|s| s.result_count),
        next_cursor: page.next_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn log_rows_read_the_entry_and_fall_back_to_its_data() {
        let row = LogRow::of(&json!({
            "datetime": 1_714_564_920_000_i64,
            "logContent": {
                "data": {"message": "connection refused", "level": "error"},
                "oracle": {"logid": "ocid1.log.oc1.iad.l"},
                "source": "web-2",
                "type": "app"
            }
        }));
        assert_eq!(
            row.time.as_deref(),
            Some("2024-05-01T12:02:00Z"),
            "from datetime"
        );
        assert_eq!(row.message.as_deref(), Some("connection refused"));
        assert_eq!(row.log_id.as_deref(), Some("ocid1.log.oc1.iad.l"));
        assert!(row.is_error(), "levels are compared without case");
        let structured = LogRow::of(&json!({"logContent": {"data": {"status": 500}}}));
        assert_eq!(structured.message.as_deref(), Some(r#"{"status":500}"#));
        assert!(!structured.is_error());
        let count = LogRow::of(&json!({"count": 3}));
        assert_eq!(
            count.message.as_deref(),
            Some(r#"{"count":3}"#),
            "an aggregation row"
        );
    }

    #[test]
    fn filters_become_searches_of_the_scope() {
        assert_eq!(
            logging_query(None, "c"),
            "search \"c\" | sort by datetime desc"
        );
        assert_eq!(
            logging_query(Some("| where level = 'ERROR'"), "c/g"),
            "search \"c/g\" | where level = 'ERROR' | sort by datetime desc"
        );
        assert_eq!(
            logging_query(Some("where a = 1 | sort by datetime asc"), "c"),
            "search \"c\" | where a = 1 | sort by datetime asc"
        );
        let full = "Search \"x\" | count";
        assert_eq!(logging_query(Some(full), "c"), full);
    }
}
