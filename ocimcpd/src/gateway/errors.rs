//! The one place gateway failures become MCP errors. Each message names the backend, what
//! happened and what to do; `data` carries the same facts for programs.

use std::time::{Duration, SystemTime};

use rmcp::ErrorData as McpError;
use rmcp::model::ErrorCode;
use rmcp::service::ServiceError;
use serde_json::json;

use crate::registry::{BackendEntry, BackendState};

/// The backend cannot take calls right now (starting, restarting, failed, stopped).
pub const BACKEND_UNAVAILABLE: ErrorCode = ErrorCode(-32010);
/// The backend did not answer within `timeouts.call`.
pub const BACKEND_TIMEOUT: ErrorCode = ErrorCode(-32011);
/// The connection broke while the request was in flight.
pub const BACKEND_FAILED: ErrorCode = ErrorCode(-32012);

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
    let why = match status.state {
        BackendState::Restarting => {
            let next = status
                .next_attempt
                .and_then(|at| at.duration_since(SystemTime::now()).ok())
                .map_or_else(
                    || "now".to_owned(),
                    |d| format!("in {:.1}s", d.as_secs_f64()),
                );
            format!("is restarting (next attempt {next})")
        }
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
    let last = status
        .last_error
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
            "last_exit": status.last_exit,
            "last_error": status.last_error,
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

/// The client cancelled the request; the backend was told.
pub fn cancelled() -> McpError {
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

pub fn timed_out(backend: &BackendEntry, limit: Duration) -> McpError {
    McpError::new(
        BACKEND_TIMEOUT,
        format!(
            "backend `{}` did not answer within {:?} (timeouts.call); the request was cancelled at the backend",
            backend.name(),
            limit
        ),
        Some(json!({ "backend": backend.name(), "timeout_seconds": limit.as_secs_f64() })),
    )
}

/// Maps a failed forwarded request. A JSON-RPC error from the backend passes through as it
/// is; transport failures say which backend broke.
pub fn from_service(backend: &BackendEntry, error: ServiceError) -> McpError {
    match error {
        ServiceError::McpError(error) => error,
        ServiceError::TransportClosed | ServiceError::TransportSend(_) => {
            backend.suspect();
            McpError::new(
                BACKEND_FAILED,
                format!(
                    "the connection to backend `{}` broke while the request was in flight (the backend may have crashed; see gateway_health). Retry once it is ready again",
                    backend.name()
                ),
                Some(json!({ "backend": backend.name() })),
            )
        }
        other => McpError::new(
            BACKEND_FAILED,
            format!("backend `{}` request failed: {other}", backend.name()),
            Some(json!({ "backend": backend.name() })),
        ),
    }
}
