//! The gateway's own tools, never prefixed: `gateway_health` and `gateway_list_backends`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, ContentBlock, Tool};
use serde::Serialize;
use serde_json::{Value, json};

use crate::registry::{BackendState, Registry};

pub const HEALTH: &str = "gateway_health";
pub const LIST_BACKENDS: &str = "gateway_list_backends";

/// The tool definitions, as clients see them.
pub fn definitions() -> Vec<Tool> {
    let tool = |value: Value| serde_json::from_value::<Tool>(value);
    [
        tool(json!({
            "name": HEALTH,
            "title": "Gateway health",
            "description": "Health of the ocimcpd gateway as JSON: version, uptime, and for every backend its state, tool count, restarts, last exit and last error.",
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

/// One backend as the gateway tools report it.
#[derive(Debug, Serialize)]
struct BackendReport {
    name: String,
    state: BackendState,
    /// Seconds since the backend entered its state.
    state_for_seconds: f64,
    transport: &'static str,
    enabled: bool,
    namespace: String,
    tools: usize,
    restarts: u32,
    last_exit: Option<String>,
    last_error: Option<String>,
    pid: Option<u32>,
    next_attempt_in_seconds: Option<f64>,
    server: Option<String>,
    protocol_version: Option<String>,
    conflicts: Vec<String>,
}

fn reports(registry: &Registry) -> Vec<BackendReport> {
    let catalog = registry.catalog();
    let now = SystemTime::now();
    registry
        .entries()
        .iter()
        .map(|entry| {
            let status = entry.status();
            let spec = entry.spec();
            BackendReport {
                name: spec.name.clone(),
                state: status.state,
                state_for_seconds: now
                    .duration_since(status.since)
                    .map_or(0.0, |d| round(d.as_secs_f64())),
                transport: spec.transport.kind(),
                enabled: spec.enabled,
                namespace: spec.namespace.clone(),
                tools: catalog.tool_count(entry.name()),
                restarts: status.restarts,
                last_exit: status.last_exit,
                last_error: status.last_error,
                pid: status.pid,
                next_attempt_in_seconds: status.next_attempt.map(|at| {
                    at.duration_since(now)
                        .map_or(0.0, |d| round(d.as_secs_f64()))
                }),
                server: status.server,
                protocol_version: status.protocol_version,
                conflicts: status.conflicts,
            }
        })
        .collect()
}

pub fn health(registry: &Arc<Registry>) -> CallToolResult {
    let catalog = registry.catalog();
    let backends = reports(registry);
    let ready = backends
        .iter()
        .filter(|b| b.state == BackendState::Ready)
        .count();
    let value = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": round(registry.uptime().as_secs_f64()),
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
    let backends = reports(registry);
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

fn round(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}
