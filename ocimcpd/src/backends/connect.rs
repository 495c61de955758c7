//! Establishing one backend session: spawn the child or open the HTTP transport, run
//! `initialize`, and take the first listing, all within `timeouts.connect`.

use std::collections::HashMap;
use std::time::Duration;

use rmcp::model::ErrorCode;
use rmcp::service::{Peer, RoleClient, RunningService, ServiceError, serve_client};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use super::client::{BackendClient, BackendEvent};
use super::in_process;
use super::ordered::InOrder;
use super::relay::{Notice, Relay};
use crate::config::{Builtin, HttpSpec, StdioSpec, Transport};
use crate::jsonl::{self, JsonLines};
use crate::registry::{BackendEntry, Listing};
use crate::supervisor::{self, ChildProcess, describe_exit};

/// How many stderr lines go into an error message.
const STDERR_TAIL: usize = 5;

/// How long to wait for a dead process's last stderr lines before describing its death.
pub(super) const STDERR_DRAIN: Duration = Duration::from_millis(500);

/// A connected, listed backend.
pub(super) struct Session {
    pub running: RunningService<RoleClient, BackendClient>,
    pub relay: Arc<Relay>,
    pub child: Option<ChildProcess>,
    pub events: mpsc::Receiver<BackendEvent>,
    pub listing: Listing,
}

/// Why a start attempt failed, in words for `gateway_health`.
#[derive(Debug)]
pub(super) struct StartFailure {
    pub error: String,
    /// How the process ended, when it did.
    pub exit: Option<String>,
}

/// Connects and lists; backend messages no single client request claims go to `notices`.
pub(super) async fn connect(
    entry: &BackendEntry,
    notices: broadcast::Sender<Notice>,
) -> Result<Session, StartFailure> {
    let spec = entry.spec();
    let deadline = Instant::now() + spec.timeouts.connect;
    let (events_tx, events) = mpsc::channel(4);
    let relay = Relay::new(&spec.name, notices);
    let handler = BackendClient::new(relay.clone(), events_tx);
    let Started {
        running,
        child,
        listing,
    } = match &spec.transport {
        Transport::Stdio(stdio) => connect_stdio(entry, stdio, handler, deadline).await,
        Transport::StreamableHttp(http) => connect_http(entry, http, handler, deadline).await,
        Transport::InProcess(builtin) => {
            connect_in_process(entry, builtin, handler, deadline).await
        }
    }?;
    Ok(Session {
        running,
        relay,
        child,
        events,
        listing,
    })
}

/// What a transport-specific start produced.
struct Started {
    running: RunningService<RoleClient, BackendClient>,
    child: Option<ChildProcess>,
    listing: Listing,
}

async fn connect_stdio(
    entry: &BackendEntry,
    stdio: &StdioSpec,
    handler: BackendClient,
    deadline: Instant,
) -> Result<Started, StartFailure> {
    let timeout = entry.spec().timeouts.connect;
    let plan = supervisor::plan(stdio, |key| std::env::var_os(key)).map_err(|e| StartFailure {
        error: e.to_string(),
        exit: None,
    })?;
    let spawned = supervisor::spawn(&plan, entry.stderr().clone()).map_err(|e| StartFailure {
        error: format!("cannot start {}: {e}", plan.program.display()),
        exit: None,
    })?;
    let mut child = spawned.process;
    entry.spawned(child.pid());
    tracing::info!(backend = %entry.name(), pid = child.pid(), program = %plan.program.display(), "backend process started");

    let started = tokio::time::timeout_at(
        deadline,
        serve_client(
            handler.clone(),
            InOrder::new(
                stdio_transport(entry, spawned.stdout, spawned.stdin),
                handler,
            ),
        ),
    )
    .await;
    let running = match started {
        Ok(Ok(running)) => running,
        Ok(Err(e)) => {
            // Usually the process died; its status and stderr say why.
            let exit = child
                .exited_within(Duration::from_secs(1))
                .await
                .map(describe_exit);
            let during = match &exit {
                Some(exit) => format!("exited during initialize ({exit})"),
                None => format!("initialize failed: {e}"),
            };
            return Err(failed(entry, &mut child, during, exit).await);
        }
        Err(_) => {
            let error = format!("did not answer initialize within {timeout:?} (timeouts.connect)");
            return Err(failed(entry, &mut child, error, None).await);
        }
    };
    match tokio::time::timeout_at(deadline, list_everything(running.peer())).await {
        Ok(Ok(listing)) => Ok(Started {
            running,
            child: Some(child),
            listing,
        }),
        Ok(Err(e)) => Err(failed(entry, &mut child, format!("first listing: {e}"), None).await),
        Err(_) => {
            let error = format!(
                "did not finish its first listing within {timeout:?} of starting (timeouts.connect)"
            );
            Err(failed(entry, &mut child, error, None).await)
        }
    }
}

/// MCP over a child's stdout and stdin, each message at most `limits.max_response_bytes`.
fn stdio_transport(
    entry: &BackendEntry,
    stdout: tokio::process::ChildStdout,
    stdin: tokio::process::ChildStdin,
) -> JsonLines<RoleClient, tokio::process::ChildStdout, tokio::process::ChildStdin> {
    JsonLines::new(
        stdout,
        stdin,
        entry.spec().limits.max_response_bytes,
        jsonl::Peer {
            who: format!("backend `{}`", entry.name()),
            setting: "limits.max_response_bytes",
        },
    )
}

/// Stops a child that failed to start and builds the failure, with its stderr tail.
async fn failed(
    entry: &BackendEntry,
    child: &mut ChildProcess,
    error: String,
    exit: Option<String>,
) -> StartFailure {
    let exit = match exit {
        Some(exit) => {
            child.kill_group();
            Some(exit)
        }
        None => Some(describe_exit(child.stop(entry.spec().timeouts.stop).await)),
    };
    child.stderr_drained(STDERR_DRAIN).await;
    StartFailure {
        error: with_stderr_tail(entry, error),
        exit,
    }
}

/// Appends the last stderr lines, where the real reason usually is.
pub(super) fn with_stderr_tail(entry: &BackendEntry, error: String) -> String {
    let tail = entry.stderr().tail(STDERR_TAIL);
    if tail.is_empty() {
        error
    } else {
        format!("{error}; stderr: {}", tail.join(" | "))
    }
}

async fn connect_http(
    entry: &BackendEntry,
    http: &HttpSpec,
    handler: BackendClient,
    deadline: Instant,
) -> Result<Started, StartFailure> {
    let timeout = entry.spec().timeouts.connect;
    let headers: HashMap<http::HeaderName, http::HeaderValue> = http
        .headers
        .iter()
        // Validated with the config; a bad pair cannot get here.
        .filter_map(|(k, v)| {
            Some((
                http::HeaderName::from_bytes(k.as_bytes()).ok()?,
                http::HeaderValue::from_str(v).ok()?,
            ))
        })
        .collect();
    let limits = &entry.spec().limits;
    let config = StreamableHttpClientTransportConfig::with_uri(http.url.as_str())
        .custom_headers(headers)
        .reinit_on_expired_session(true)
        .max_sse_event_size(limits.max_response_bytes)
        // Our own limit applies first; the room above it is for health pings.
        .max_concurrent_requests(limits.max_concurrency + 2);
    let transport = StreamableHttpClientTransport::from_config(config);
    let failure = |error: String| StartFailure { error, exit: None };
    let transport = InOrder::new(transport, handler.clone());
    let running = match tokio::time::timeout_at(deadline, serve_client(handler, transport)).await {
        Ok(Ok(running)) => running,
        Ok(Err(e)) => return Err(failure(format!("initialize with {} failed: {e}", http.url))),
        Err(_) => {
            return Err(failure(format!(
                "{} did not answer initialize within {timeout:?} (timeouts.connect)",
                http.url
            )));
        }
    };
    match tokio::time::timeout_at(deadline, list_everything(running.peer())).await {
        Ok(Ok(listing)) => Ok(Started {
            running,
            child: None,
            listing,
        }),
        Ok(Err(e)) => Err(failure(format!("first listing from {}: {e}", http.url))),
        Err(_) => Err(failure(format!(
            "{} did not finish its first listing within {timeout:?} (timeouts.connect)",
            http.url
        ))),
    }
}

/// Serves a built-in tool set in-process and connects to it, so it is a backend like any
/// other (same catalog, progress, cancellation and health). The tool set ends when the
/// connection is dropped.
async fn connect_in_process(
    entry: &BackendEntry,
    builtin: &Builtin,
    handler: BackendClient,
    deadline: Instant,
) -> Result<Started, StartFailure> {
    let failure = |error: String| StartFailure { error, exit: None };
    let (client_end, server_end) = in_process::channel();
    in_process::serve(builtin, entry.name(), server_end);
    let transport = InOrder::new(client_end, handler.clone());
    let running = match tokio::time::timeout_at(deadline, serve_client(handler, transport)).await {
        Ok(Ok(running)) => running,
        Ok(Err(e)) => return Err(failure(format!("initialize failed: {e}"))),
        Err(_) => return Err(failure("did not answer initialize".to_owned())),
    };
    match tokio::time::timeout_at(deadline, list_everything(running.peer())).await {
        Ok(Ok(listing)) => Ok(Started {
            running,
            child: None,
            listing,
        }),
        Ok(Err(e)) => Err(failure(format!("first listing: {e}"))),
        Err(_) => Err(failure("did not finish its first listing".to_owned())),
    }
}

/// A listing request that failed, and which one it was.
#[derive(Debug, thiserror::Error)]
#[error("{method} failed: {error}")]
pub(super) struct ListError {
    method: &'static str,
    #[source]
    error: ServiceError,
}

/// Lists tools, prompts, resources and templates, each only if the backend declared it.
/// `tools/list` must succeed; the others count as empty when the backend answers "method
/// not found" (many servers declare `resources` without implementing templates).
pub(super) async fn list_everything(peer: &Peer<RoleClient>) -> Result<Listing, ListError> {
    let capabilities = peer
        .peer_info()
        .map(|info| info.capabilities.clone())
        .unwrap_or_default();
    let mut listing = Listing::default();
    if capabilities.tools.is_some() {
        listing.tools = peer.list_all_tools().await.map_err(|error| ListError {
            method: "tools/list",
            error,
        })?;
    }
    if capabilities.prompts.is_some() {
        listing.prompts = optional("prompts/list", peer.list_all_prompts().await)?;
    }
    if capabilities.resources.is_some() {
        listing.resources = optional("resources/list", peer.list_all_resources().await)?;
        listing.templates = optional(
            "resources/templates/list",
            peer.list_all_resource_templates().await,
        )?;
    }
    Ok(listing)
}

fn optional<T>(
    method: &'static str,
    result: Result<Vec<T>, ServiceError>,
) -> Result<Vec<T>, ListError> {
    match result {
        Ok(items) => Ok(items),
        Err(ServiceError::McpError(e)) if e.code == ErrorCode::METHOD_NOT_FOUND => {
            tracing::debug!("{method} is not implemented by the backend; treating it as empty");
            Ok(Vec::new())
        }
        Err(error) => Err(ListError { method, error }),
    }
}
