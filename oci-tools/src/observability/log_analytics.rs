//! Log Analytics: queries in its query language and the log sources of the tenancy's
//! namespace (looked up with `ListNamespaces` unless given).

use oci_api::Client;
use oci_api::ops::log_analytics::{ListSources, LogSource, Query, QueryAggregation, TimeRange};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::super::args;
use super::super::error::ToolError;
use super::super::output::{Markdown, Paged, Row, opt, page_footer, table};
use super::super::toolbox::Call;
use super::{LOG_HOURS, Window};

/// The tenancy's Log Analytics namespace: `given`, else the one OCI lists for the tenancy.
async fn namespace(client: &Client, given: Option<String>) -> Result<String, ToolError> {
    if let Some(given) = given.filter(|n| !n.trim().is_empty()) {
        check_namespace(&given)?;
        return Ok(given);
    }
    let tenancy = client.tenancy().to_owned();
    let namespaces = client.list_namespaces(&tenancy).await?;
    let Some(first) = namespaces.into_iter().next() else {
        return Err(ToolError::Failed(format!(
            "the tenancy {tenancy} has no Log Analytics namespace: Log Analytics is not enabled for it (Observability & Management > Log Analytics in the console)"
        )));
    };
    if first.is_onboarded == Some(false) {
        return Err(ToolError::Failed(format!(
            "the tenancy's Log Analytics namespace `{}` is not onboarded: enable Log Analytics for the tenancy first",
            first.namespace_name
        )));
    }
    Ok(first.namespace_name)
}

/// A namespace is put into the URL's path: only the characters OCI's namespaces have
/// (letters, digits, `-`, `_`), so that `..` or `/` cannot address another resource.
fn check_namespace(namespace: &str) -> Result<(), ToolError> {
    let plain = namespace.len() <= 128
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if plain {
        return Ok(());
    }
    Err(ToolError::invalid(format!(
        "`namespace` = `{namespace}` is not a Log Analytics namespace: it has only letters, digits, `-` and `_` (like `axaxnpcrorw5`, the tenancy's Object Storage namespace); leave `namespace` out to use the tenancy's"
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LogQueryArgs {
    /// The Log Analytics query (`'Log Source' = 'Linux Syslog Logs' | stats count by Severity`; `*` for everything).
    query: String,
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// Also search the compartment's sub-compartments.
    #[serde(default)]
    include_subcompartments: bool,
    /// The Log Analytics namespace; default: the tenancy's, looked up.
    namespace: Option<String>,
    /// The window in hours, ending now (default 1, at most 720); or give time_start.
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

/// The longest Log Analytics query window, in hours.
const QUERY_MAX_HOURS: u32 = 720;

/// One page of a Log Analytics query's results.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LogQueryResult {
    pub namespace: String,
    pub query: String,
    /// The window searched (RFC 3339); pass it again with `cursor`.
    pub time_start: String,
    pub time_end: String,
    /// The result's columns, in order.
    pub columns: Vec<String>,
    /// The rows, each keyed by column.
    pub rows: Vec<Map<String, Value>>,
    /// Rows the query retrieved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    /// Rows the query matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_matched_count: Option<u64>,
    /// True when the query did not process all the data (see `partial_result_reason`).
    pub are_partial_results: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_result_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_execution_time_ms: Option<u64>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Markdown for LogQueryResult {
    fn markdown(&self) -> String {
        let mut text = format!(
            "Query: `{}` (namespace {})\nWindow: {} .. {}\n",
            self.query, self.namespace, self.time_start, self.time_end
        );
        if let Some(total) = self.total_count {
            text.push_str(&format!("Total: {total}"));
            if let Some(matched) = self.total_matched_count {
                text.push_str(&format!(" of {matched} matched"));
            }
            text.push('\n');
        }
        if self.are_partial_results {
            text.push_str(&format!(
                "Partial results: {}\n",
                self.partial_result_reason
                    .as_deref()
                    .unwrap_or("the query did not finish")
            ));
        }
        text.push('\n');
        let columns: Vec<&str> = self.columns.iter().map(String::as_str).collect();
        text.push_str(&table(
            &columns,
            self.rows.iter().map(|row| {
                self.columns
                    .iter()
                    .map(|column| cell_of(row.get(column)))
                    .collect::<Vec<_>>()
            }),
        ));
        text.push_str(&page_footer(self.rows.len(), self.next_cursor.as_deref()));
        text
    }
}

/// A JSON value as a table cell: strings as they are, null as empty.
fn cell_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// The columns (display names, in order) and the rows keyed by them. A row's value is
/// found under the column's display name, else its internal name; without columns the
/// rows stay as OCI gave them, and their keys are the columns.
fn query_table(aggregation: QueryAggregation) -> (Vec<String>, Vec<Map<String, Value>>) {
    let columns: Vec<(String, Option<String>)> = aggregation
        .columns
        .iter()
        .filter_map(|c| {
            let shown = c.display_name.clone().or_else(|| c.internal_name.clone())?;
            Some((shown, c.internal_name.clone()))
        })
        .collect();
    if columns.is_empty() {
        let mut names: Vec<String> = Vec::new();
        let rows: Vec<Map<String, Value>> = aggregation
            .items
            .into_iter()
            .map(|item| {
                for key in item.keys() {
                    if !names.contains(key) {
                        names.push(key.clone());
                    }
                }
                item.into_iter().collect()
            })
            .collect();
        return (names, rows);
    }
    let rows = aggregation
        .items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|(shown, internal)| {
                    let value = item
                        .get(shown)
                        .or_else(|| internal.as_ref().and_then(|i| item.get(i)))
                        .cloned()
                        .unwrap_or(Value::Null);
                    (shown.clone(), value)
                })
                .collect()
        })
        .collect();
    (columns.into_iter().map(|(shown, _)| shown).collect(), rows)
}

pub(super) async fn execute_log_query(
    call: Call,
    args: LogQueryArgs,
) -> Result<LogQueryResult, ToolError> {
    if args.query.trim().is_empty() {
        return Err(ToolError::invalid(
            "`query` is empty: give a Log Analytics query (`*` for every log record)",
        ));
    }
    let window = Window::of(
        call.now(),
        args.hours,
        args.time_start.as_deref(),
        args.time_end.as_deref(),
        LOG_HOURS,
        QUERY_MAX_HOURS,
    )?;
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let namespace = namespace(&client, args.namespace).await?;
    let query = Query {
        compartment_id_in_subtree: args.include_subcompartments.then_some(true),
        time_filter: Some(TimeRange {
            time_start: window.start,
            time_end: window.end,
            time_zone: None,
        }),
        should_include_total_count: Some(true),
        limit: Some(args::limit(args.limit)),
        ..Query::new(namespace.clone(), compartment, args.query.clone())
    };
    let page = client.query_logs(&query, args.cursor.as_deref()).await?;
    let aggregation = page.aggregation;
    let total_count = aggregation.total_count;
    let total_matched_count = aggregation.total_matched_count;
    let are_partial_results = aggregation.are_partial_results.unwrap_or(false);
    let partial_result_reason = aggregation.partial_result_reason.clone();
    let query_execution_time_ms = aggregation.query_execution_time_in_ms;
    let (columns, rows) = query_table(aggregation);
    Ok(LogQueryResult {
        namespace,
        query: args.query,
        time_start: window.start.to_string(),
        time_end: window.end.to_string(),
        columns,
        rows,
        total_count,
        total_matched_count,
        are_partial_results,
        partial_result_reason,
        query_execution_time_ms,
        next_cursor: page.next_page,
    })
}

/// Which log sources to list, by origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum SourceOrigin {
    All,
    /// Oracle-defined sources.
    BuiltIn,
    /// Sources the tenancy defined.
    Custom,
}

impl SourceOrigin {
    fn oci(self) -> &'static str {
        match self {
            SourceOrigin::All => "ALL",
            SourceOrigin::BuiltIn => "BUILT_IN",
            SourceOrigin::Custom => "CUSTOM",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ListSourcesArgs {
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// The Log Analytics namespace; default: the tenancy's, looked up.
    namespace: Option<String>,
    /// Only the source with exactly this internal name (case-insensitive).
    name: Option<String>,
    /// Only sources whose display name or description contains this text.
    name_contains: Option<String>,
    /// ALL (default), BUILT_IN or CUSTOM.
    origin: Option<SourceOrigin>,
    /// Sources per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A Log Analytics log source.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SourceItem {
    /// The internal name (what queries and `name` use).
    pub name: Option<String>,
    pub display_name: Option<String>,
    /// The source type, `File`, `Windows Event System`, ...
    pub source_type: Option<String>,
    /// True for Oracle-defined sources.
    pub is_system: Option<bool>,
    /// The entity types the source applies to.
    pub entity_types: Vec<String>,
    /// How many entities the source is associated with.
    pub association_count: Option<i64>,
    pub description: Option<String>,
    pub time_updated: Option<String>,
}

impl SourceItem {
    fn of(source: LogSource) -> Self {
        SourceItem {
            entity_types: source
                .entity_types
                .into_iter()
                .filter_map(|e| e.entity_type_display_name.or(e.entity_type))
                .collect(),
            name: source.name,
            display_name: source.display_name,
            source_type: source.type_display_name.or(source.type_name),
            is_system: source.is_system,
            association_count: source.association_count,
            description: source.description,
            time_updated: source.time_updated,
        }
    }
}

impl Row for SourceItem {
    const COLUMNS: &'static [&'static str] = &[
        "display name",
        "name",
        "type",
        "built-in",
        "entity types",
        "associations",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.display_name.as_deref()),
            opt(self.name.as_deref()),
            opt(self.source_type.as_deref()),
            opt(self.is_system),
            self.entity_types.join(", "),
            opt(self.association_count),
        ]
    }
}

pub(super) async fn list_log_sources(
    call: Call,
    args: ListSourcesArgs,
) -> Result<Paged<SourceItem>, ToolError> {
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let namespace = namespace(&client, args.namespace).await?;
    let list = ListSources {
        name: args.name,
        source_display_text: args.name_contains,
        is_system: args.origin.map(|o| o.oci().to_owned()),
        limit: Some(args::limit(args.limit)),
        ..ListSources::new(namespace, compartment)
    };
    let (sources, next) = args::one_page(client.list_sources(&list), args.cursor).await?;
    Ok(Paged::new(
        sources.into_iter().map(SourceItem::of).collect(),
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_namespace_that_would_change_the_path_is_refused() {
        for bad in ["..", ".", "../sources", "a/b", "ns?x=1", "ns%2e"] {
            let error = check_namespace(bad).expect_err(bad).to_string();
            assert!(
                error.contains(&format!(
                    "`namespace` = `{bad}` is not a Log Analytics namespace"
                )),
                "{error}"
            );
            assert!(error.contains("leave `namespace` out"), "{error}");
        }
        for good in ["axaxnpcrorw5", "my-tenancy_ns"] {
            check_namespace(good).expect(good);
        }
    }

    #[test]
    fn query_rows_are_keyed_by_column_display_names() {
        let aggregation: QueryAggregation = serde_json::from_value(json!({
            "columns": [
                {"type": "COLUMN", "displayName": "Log Source", "internalName": "src"},
                {"type": "COLUMN", "displayName": "Count", "internalName": "count"}
            ],
            "items": [{"src": "Linux Syslog Logs", "Count": 12}]
        }))
        .expect("parses");
        let (columns, rows) = query_table(aggregation);
        assert_eq!(columns, ["Log Source", "Count"]);
        assert_eq!(rows[0]["Log Source"], "Linux Syslog Logs");
        assert_eq!(rows[0]["Count"], 12);
        let bare: QueryAggregation =
            serde_json::from_value(json!({"items": [{"b": 1, "a": 2}]})).expect("parses");
        let (columns, _) = query_table(bare);
        assert_eq!(columns.len(), 2);
    }
}
