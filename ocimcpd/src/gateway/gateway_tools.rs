//! The gateway's own tools, never prefixed: `gateway_health` and `gateway_list_backends`.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use ocimcp_proto::backend::BackendReport;
use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, ContentBlock, Tool};
use serde_json::{Value, json};

use crate::registry::{Registry, reports};

pub const HEALTH: &str = "gateway_health";
pub const LIST_BACKENDS: &str = "gateway_list_backends";

/// The tool definitions, as clients see them.
pub fn definitions() -> Vec<Tool> {
    let tool = |value: Value| serde_json::from_value::<Tool>(value);
    [
        tool(json!({
            "name": HEALTH,
            "title": "Gateway health",
            "description": "Health of the ocimcpd gateway as JSON: version, uptime, and for every backend its state (ready, degraded, quarantined, restarting, ...) and since when, tool count, requests in flight and queued, consecutive failures, restarts, last ping latency, last exit and a summary of the last error (process ids, stderr and URLs are shown to the operator only, by `ocimcpctl`).",
            "inputSchema": { "type": "object", "properties": {}, "additionalProperties": false },
            "annotations": { "readOnlyHint": true, "openWorldHint": false }
        })),
        tool(json!({
            "name": LIST_BACKENDS,
            "title": "List gateway backends",
            "description": "The MCP servers behind this gateway: name, state, transport, namespace and tool count. A markdown table by default, or JSON with response_format \"json\".",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "response_format": { "type": "string", "enum": ["markdown", "json"], "default": "markdown" }
                },
                "additionalProperties": false
            },
            "annotations": { "readOnlyHint": true, "openWorldHint": false }
        })),
    ]
    .into_iter()
    .filter_map(Result::ok)
    .collect()
}

/// Every backend's report, as clients may see it.
fn client_reports(registry: &Registry) -> Vec<BackendReport> {
    reports(registry)
        .into_iter()
        .map(super::disclosure::for_clients)
        .collect()
}

pub fn health(registry: &Arc<Registry>) -> CallToolResult {
    let catalog = registry.catalog();
    let backends = client_reports(registry);
    let ready = backends.iter().filter(|b| b.state.serves()).count();
    let value = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": crate::registry::round_seconds(registry.uptime()),
        "started_at_unix": registry.started_at().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "settled": registry.settled(),
        "tool_count": catalog.tools().len() + super::GATEWAY_TOOLS.len(),
        "backends_ready": ready,
        "backends_total": backends.len(),
        "backends": backends,
    });
    CallToolResult::structured(value)
}

pub fn list_backends(
    registry: &Arc<Registry>,
    arguments: Option<&serde_json::Map<String, Value>>,
) -> Result<CallToolResult, McpError> {
    let format = arguments
        .and_then(|a| a.get("response_format"))
        .map(|v| v.as_str().unwrap_or("?"));
    let backends = client_reports(registry);
    match format {
        None | Some("markdown") => Ok(CallToolResult::success(vec![ContentBlock::text(markdown(
            &backends,
        ))])),
        Some("json") => Ok(CallToolResult::structured(json!({ "backends": backends }))),
        Some(other) => Err(McpError::invalid_params(
            format!("response_format must be \"markdown\" or \"json\", not `{other}`"),
            None,
        )),
    }
}

fn markdown(backends: &[BackendReport]) -> String {
    if backends.is_empty() {
        return "No backends are configured. Add files to backends.d/ (see `ocimcpd --print-default-config`).".to_owned();
    }
    let mut out = String::from(
        "| backend | state | transport | namespace | tools | restarts | last error |\n|---|---|---|---|---|---|---|\n",
    );
    for b in backends {
        let namespace = if b.namespace.is_empty() {
            "(none)"
        } else {
            &b.namespace
        };
        let error = b
            .last_error
            .as_deref()
            .unwrap_or("")
            .replace('|', "\\|")
            .replace('\n', " ");
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            b.name, b.state, b.transport, namespace, b.tools, b.restarts, error
        ));
    }
    out
}
