//! The one place gateway failures become MCP errors. Each message names the backend, what
//! happened and what to do; `data` carries the same facts for programs.

use std::time::SystemTime;

use ocimcp_proto::backend::BackendState;
use rmcp::ErrorData as McpError;
use serde_json::json;

use crate::backends::{Busy, CallError, Limit};
use crate::registry::{BackendEntry, Catalog};

use crate::error_codes::{
    BACKEND_BUSY, BACKEND_FAILED, BACKEND_TIMEOUT, BACKEND_UNAVAILABLE, GATEWAY_STOPPING,
};

/// A name the catalog does not have: a quarantined backend's (say so, and why), or
/// unknown.
pub fn not_found(catalog: &Catalog, kind: &str, name: &str) -> McpError {
    match catalog.withdrawn(name) {
        Some(route) => unavailable(&route.backend),
        None => unknown(kind, name),
    }
}

pub fn unknown(kind: &str, name: &str) -> McpError {
    McpError::invalid_params(
        format!(
            "unknown {kind} `{name}`: it is not in the gateway's catalog (list them again; a backend may have gone away)"
        ),
        Some(json!({ "name": name })),
    )
}

/// Fails a request at once because its backend has no live connection.
pub fn unavailable(backend: &BackendEntry) -> McpError {
    let status = backend.status();
    let next = status
        .next_attempt
        .and_then(|at| at.duration_since(SystemTime::now()).ok())
        .map_or_else(
            || "now".to_owned(),
            |d| format!("in {:.1}s", d.as_secs_f64()),
        );
    let why = match status.state {
        BackendState::Restarting => format!("is restarting (next attempt {next})"),
        BackendState::Quarantined => format!(
            "is quarantined ({} restart(s), {} failed check(s) in a row): its tools, prompts and resources are out of the catalog until it recovers (next recovery probe {next}; `ocimcpctl restart {}` retries at once)",
            status.restarts,
            status.consecutive_failures,
            backend.name()
        ),
        BackendState::Starting => "is starting".to_owned(),
        BackendState::Failed => {
            "has failed and will not be restarted (its restart.policy); fix the backend and restart ocimcpd".to_owned()
        }
        BackendState::Stopped => "is stopped (the gateway is shutting down)".to_owned(),
        state => format!("is {state}"),
    };
    let advice = match status.state {
        BackendState::Starting | BackendState::Restarting => {
            "retry shortly, or see the gateway_health tool"
        }
        _ => "see the gateway_health tool",
    };
    let last_error = status
        .last_error
        .as_deref()
        .map(super::disclosure::error_for_clients);
    let last = last_error
        .as_deref()
        .map(|e| format!("; last error: {e}"))
        .unwrap_or_default();
    McpError::new(
        BACKEND_UNAVAILABLE,
        format!(
            "backend `{}` {why}{last}. The request was not sent; {advice}",
            backend.name()
        ),
        Some(json!({
            "backend": backend.name(),
            "state": status.state,
            "restarts": status.restarts,
            "consecutive_failures": status.consecutive_failures,
            "last_exit": status.last_exit.as_deref().map(super::disclosure::error_for_clients),
            "last_error": last_error,
        })),
    )
}

/// The daemon is shutting down: the request was cancelled at the backend.
pub fn shutting_down() -> McpError {
    McpError::internal_error(
        "ocimcpd is shutting down (or restarting): the request was cancelled at its backend; retry it once the gateway is back",
        None,
    )
}

/// A new request while the daemon drains for shutdown.
pub fn draining() -> McpError {
    McpError::new(
        GATEWAY_STOPPING,
        "ocimcpd is shutting down and takes no new requests (requests already in flight are finishing); retry once the gateway is back",
        None,
    )
}

fn busy(backend: &BackendEntry, busy: Busy) -> McpError {
    let load = backend.handle().load();
    McpError::new(
        BACKEND_BUSY,
        format!(
            "backend `{}` is busy: {} request(s) in flight (limits.max_concurrency = {}) and {} waiting (limits.max_queue = {}). The request was not sent; retry shortly",
            backend.name(),
            busy.in_flight,
            load.max_concurrency(),
            busy.queued,
            load.max_queue()
        ),
        Some(
            json!({ "backend": backend.name(), "in_flight": busy.in_flight, "queued": busy.queued }),
        ),
    )
}

/// The client cancelled the request; the backend was told.
fn cancelled() -> McpError {
    McpError::invalid_request("request cancelled by the client", None)
}

/// The backend answered with a result of the wrong kind.
pub fn unexpected(
    backend: &BackendEntry,
    method: &str,
    result: &rmcp::model::ServerResult,
) -> McpError {
    McpError::new(
        BACKEND_FAILED,
        format!(
            "backend `{}` answered {method} with an unexpected kind of result",
            backend.name()
        ),
        Some(json!({ "backend": backend.name(), "result": result })),
    )
}

fn timed_out(backend: &BackendEntry, limit: Limit, tool: Option<&str>) -> McpError {
    let of_tool = tool.map(|t| format!(" `{t}`")).unwrap_or_default();
    let (what, key, seconds) = match limit {
        Limit::Queued(d) => (
            format!(
                "had no free slot for the request{of_tool} within {d:?} (its calls in flight stayed busy); it was not sent"
            ),
            "timeouts.call",
            d,
        ),
        Limit::Call(d) => (
            format!(
                "did not answer{of_tool} within {d:?}; the request was cancelled at the backend"
            ),
            "timeouts.call",
            d,
        ),
        Limit::Idle(d) => (
            format!(
                "sent no progress on{of_tool} for {d:?}; the request was cancelled at the backend"
            ),
            "timeouts.idle",
            d,
        ),
    };
    McpError::new(
        BACKEND_TIMEOUT,
        format!(
            "backend `{}` {what} ({key}{}; raise it in the backend's file if the tool is just slow)",
            backend.name(),
            if tool.is_some() {
                ", or per tool in [[timeouts.tools]]"
            } else {
                ""
            }
        ),
        Some(
            json!({ "backend": backend.name(), "limit": key, "timeout_seconds": seconds.as_secs_f64() }),
        ),
    )
}

/// Maps a call that got no answer from its backend. A JSON-RPC error from the backend
/// passes through as it is; everything else says which backend, what happened and what
/// to do.
pub fn from_call(backend: &BackendEntry, error: CallError, tool: Option<&str>) -> McpError {
    match error {
        CallError::Unavailable => unavailable(backend),
        CallError::Busy(load) => busy(backend, load),
        CallError::TimedOut(limit) => timed_out(backend, limit, tool),
        CallError::Cancelled => cancelled(),
        CallError::ShuttingDown => shutting_down(),
        CallError::Rejected(error) => error,
        CallError::Broken => McpError::new(
            BACKEND_FAILED,
            format!(
                "the connection to backend `{}` broke while the request was in flight (the backend may have crashed; see gateway_health). Retry once it is ready again",
                backend.name()
            ),
            Some(json!({ "backend": backend.name() })),
        ),
        CallError::Failed(error) => McpError::new(
            BACKEND_FAILED,
            format!("backend `{}` request failed: {error}", backend.name()),
            Some(json!({ "backend": backend.name() })),
        ),
    }
}
