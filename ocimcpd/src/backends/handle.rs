//! The backend handle: the one owner of a call to a backend. Each registry entry holds
//! one; the gateway routes a request to it and gets a result or a [`CallError`], and
//! never touches the connection itself. A call is
//!
//! 1. admitted (a slot of `limits.max_concurrency`, or a place in the `limits.max_queue`
//!    queue, or refused as busy), within the call's time limit;
//! 2. sent on the backend's shared connection and registered with its relay, so what the
//!    backend sends while serving it (progress, log messages, sampling, elicitation,
//!    roots) reaches the caller;
//! 3. answered, or ended by the caller's cancellation, the gateway's shutdown, the call
//!    limit or the idle limit (no progress); the backend is then told
//!    `notifications/cancelled` and the call is let go at once. A timeout or a broken
//!    connection raises a suspicion the backend's lifecycle task acts on (a ping).
//!
//! The lifecycle task gives the handle its connection when the backend is ready and takes
//! it away when it is not.

// logging/setLevel and resources/subscribe are deprecated by SEP-2577, but session-era
// backends still use them.
#![allow(deprecated)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use rmcp::ErrorData as McpError;
use rmcp::model::{
    CancelledNotificationParam, ClientCapabilities, ClientRequest, LoggingLevel, ProgressToken,
    ProtocolVersion, RequestId, ServerResult, SetLevelRequestParams, SubscribeRequestParams,
    UnsubscribeRequestParams,
};
use rmcp::service::{Peer, PeerRequestOptions, RoleClient, RoleServer, ServiceError};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::load::{Busy, Load};
use super::relay::{InFlight, Relay};
use crate::config::BackendSpec;

/// How long `notifications/cancelled` may take to reach a backend.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// A live MCP session with a backend; requests are multiplexed on it.
#[derive(Debug)]
pub struct Connection {
    peer: Peer<RoleClient>,
    /// The client requests in flight on this connection.
    relay: Arc<Relay>,
}

impl Connection {
    pub(super) fn new(peer: Peer<RoleClient>, relay: Arc<Relay>) -> Self {
        Self { peer, relay }
    }

    /// Whether the backend declared the `logging` capability.
    pub fn offers_logging(&self) -> bool {
        self.peer
            .peer_info()
            .is_some_and(|info| info.capabilities.logging.is_some())
    }

    /// `logging/setLevel` at the backend.
    pub async fn set_level(&self, level: LoggingLevel) -> Result<(), CallError> {
        self.peer
            .set_level(SetLevelRequestParams::new(level))
            .await
            .map_err(CallError::from_service)
    }

    /// `resources/subscribe` at the backend (`uri` in its own terms).
    pub async fn subscribe(&self, uri: &str) -> Result<(), CallError> {
        self.peer
            .subscribe(SubscribeRequestParams::new(uri.to_owned()))
            .await
            .map_err(CallError::from_service)
    }

    /// `resources/unsubscribe` at the backend (`uri` in its own terms).
    pub async fn unsubscribe(&self, uri: &str) -> Result<(), CallError> {
        self.peer
            .unsubscribe(UnsubscribeRequestParams::new(uri.to_owned()))
            .await
            .map_err(CallError::from_service)
    }
}

/// Which limit a call ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `timeouts.call`, spent waiting for a slot: the backend never saw the request.
    Queued(Duration),
    /// `timeouts.call`: the request took too long in all.
    Call(Duration),
    /// `timeouts.idle`: no progress for too long.
    Idle(Duration),
}

/// Why a call did not get an answer from its backend.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The backend has no live connection (starting, restarting, quarantined, stopped).
    #[error("the backend has no live connection")]
    Unavailable,
    /// Every slot is taken and the queue is full; the request was not sent.
    #[error("the backend is busy ({} in flight, {} queued)", .0.in_flight, .0.queued)]
    Busy(Busy),
    /// A time limit ran out; the request was cancelled at the backend (or never sent).
    #[error("the call ran into its time limit ({0:?})")]
    TimedOut(Limit),
    /// The caller cancelled; the backend was told.
    #[error("the caller cancelled the request")]
    Cancelled,
    /// The gateway is shutting down; the request was cancelled at the backend.
    #[error("the gateway is shutting down")]
    ShuttingDown,
    /// The connection broke while the request was in flight.
    #[error("the connection broke while the request was in flight")]
    Broken,
    /// The backend answered with a JSON-RPC error: it goes to the client as it is.
    #[error("the backend answered with an error: {}", .0.message)]
    Rejected(McpError),
    /// The request failed in the MCP layer for another reason.
    #[error("the request failed: {0}")]
    Failed(#[source] ServiceError),
}

impl CallError {
    fn from_service(error: ServiceError) -> Self {
        match error {
            ServiceError::McpError(error) => CallError::Rejected(error),
            ServiceError::TransportClosed | ServiceError::TransportSend(_) => CallError::Broken,
            other => CallError::Failed(other),
        }
    }
}

/// Who a call is for, and where what the backend sends while serving it goes.
#[derive(Debug)]
pub struct Caller {
    /// Where the client is reached: its session's peer, or a stateless request's own.
    pub client: Peer<RoleServer>,
    /// Tells clients apart (one per session; one per stateless request).
    pub client_key: u64,
    /// The request's id on the client's side.
    pub request: RequestId,
    /// The client's progress token, if it asked for progress.
    pub progress: Option<ProgressToken>,
    /// The least severe log level the client wants, if it asked for log messages.
    pub log_level: Option<LoggingLevel>,
    /// What the client declared it can do (sampling, elicitation, roots).
    pub capabilities: Option<ClientCapabilities>,
    /// The protocol version of the client's request.
    pub protocol: Option<ProtocolVersion>,
    /// Served without a session: server→client requests cannot be answered.
    pub stateless: bool,
    /// Fires when the client cancels (or its session ends).
    pub cancelled: CancellationToken,
}

/// The gateway's shutdown, as a call sees it.
#[derive(Debug, Clone, Copy)]
pub struct Shutdown<'a> {
    /// Requests still in flight are cut off (the drain's grace ran out).
    pub cutoff: &'a CancellationToken,
    /// The daemon is stopping: a caller's cancellation is the shutdown's doing.
    pub stopping: &'a CancellationToken,
}

/// Why a request made the gateway doubt a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suspicion {
    /// The connection broke under a request.
    Broken = 1,
    /// A request got no answer (or no progress) in time.
    TimedOut = 2,
}

/// One backend's call path: its live connection, its load and the suspicions its calls
/// raise.
#[derive(Debug)]
pub struct BackendHandle {
    spec: Arc<BackendSpec>,
    connection: ArcSwapOption<Connection>,
    /// Requests in flight and queued, against `[limits]`.
    load: Load,
    /// Raised when a request broke or timed out; the lifecycle task then checks at once
    /// whether the backend still answers.
    suspect: Notify,
    /// What was suspected since the lifecycle task last looked (`Suspicion` bits).
    suspicion: AtomicU8,
}

impl BackendHandle {
    pub fn new(spec: Arc<BackendSpec>) -> Self {
        Self {
            load: Load::new(&spec.limits),
            spec,
            connection: ArcSwapOption::empty(),
            suspect: Notify::new(),
            suspicion: AtomicU8::new(0),
        }
    }

    /// The live connection, if the backend is ready. Lock-free.
    pub fn connection(&self) -> Option<Arc<Connection>> {
        self.connection.load_full()
    }

    /// Calls go through `connection` from now on (`None`: they fail at once).
    pub(crate) fn connect(&self, connection: Option<Connection>) {
        self.connection.store(connection.map(Arc::new));
    }

    /// Requests in flight and queued at this backend.
    pub fn load(&self) -> &Load {
        &self.load
    }

    /// Tells the lifecycle task that a request broke or timed out. A hint, not a state
    /// change: the lifecycle task decides.
    fn suspect(&self, why: Suspicion) {
        self.suspicion.fetch_or(why as u8, Ordering::Relaxed);
        self.suspect.notify_one();
    }

    /// Forgets suspicions raised so far (they concerned an earlier connection).
    pub(crate) async fn clear_suspicion(&self) {
        // A zero timeout still polls once, which takes a stored wake-up.
        let _ = tokio::time::timeout(Duration::ZERO, self.suspect.notified()).await;
        self.suspicion.store(0, Ordering::Relaxed);
    }

    /// Resolves when a call raised a suspicion (one raised meanwhile is kept), with the
    /// gravest one raised since the last time.
    pub(crate) async fn suspected(&self) -> Suspicion {
        self.suspect.notified().await;
        let bits = self.suspicion.swap(0, Ordering::Relaxed);
        if bits & Suspicion::Broken as u8 != 0 {
            Suspicion::Broken
        } else {
            Suspicion::TimedOut
        }
    }

    /// Sends `request` for `caller` and waits for the answer (see the module doc). `tool`
    /// is the backend's own tool name, for per-tool limits.
    pub async fn call(
        &self,
        request: ClientRequest,
        tool: Option<&str>,
        caller: Caller,
        shutdown: Shutdown<'_>,
    ) -> Result<ServerResult, CallError> {
        let interrupted = || {
            if shutdown.stopping.is_cancelled() {
                CallError::ShuttingDown
            } else {
                CallError::Cancelled
            }
        };
        if self.connection().is_none() {
            return Err(CallError::Unavailable);
        }
        let limits = self.spec.timeouts.for_request(tool);
        let deadline = Instant::now() + limits.call;
        let _slot = tokio::select! {
            slot = self.load.admit() => slot.map_err(CallError::Busy)?,
            _ = caller.cancelled.cancelled() => return Err(interrupted()),
            _ = shutdown.cutoff.cancelled() => return Err(CallError::ShuttingDown),
            _ = tokio::time::sleep_until(deadline) => {
                return Err(CallError::TimedOut(Limit::Queued(limits.call)));
            }
        };
        // It may have gone away while the request waited for a slot.
        let connection = self.connection().ok_or(CallError::Unavailable)?;
        let sent = connection
            .peer
            .send_request_with_option(request, PeerRequestOptions::no_options())
            .await
            .map_err(|e| self.failed(e, shutdown))?;
        let backend_request = sent.id.clone();
        let progressed = Arc::new(Notify::new());
        let _registration = connection.relay.register(
            sent.id.clone(),
            sent.progress_token.clone(),
            InFlight {
                client: caller.client,
                client_key: caller.client_key,
                client_request: caller.request,
                client_progress: caller.progress,
                log_level: caller.log_level,
                capabilities: caller.capabilities,
                protocol: caller.protocol,
                stateless: caller.stateless,
                progressed: progressed.clone(),
            },
        );
        // Sent in a task of its own: a hung backend may never take it, and the caller's
        // answer must not wait for that.
        let cancel = |reason: &'static str| {
            let peer = connection.peer.clone();
            let id = backend_request.clone();
            tokio::spawn(async move {
                let param = CancelledNotificationParam::new(Some(id), Some(reason.to_owned()));
                let _ = tokio::time::timeout(CANCEL_TIMEOUT, peer.notify_cancelled(param)).await;
            });
        };
        let answer = sent.await_response();
        tokio::pin!(answer);
        // An idle limit as long as the call limit adds nothing: the call limit says it.
        let idle_limit = (limits.idle < limits.call).then_some(limits.idle);
        let idle = tokio::time::sleep(idle_limit.unwrap_or(limits.call + Duration::from_secs(1)));
        tokio::pin!(idle);
        loop {
            tokio::select! {
                answer = &mut answer => return answer.map_err(|e| self.failed(e, shutdown)),
                _ = caller.cancelled.cancelled() => {
                    let error = interrupted();
                    cancel(match error {
                        CallError::ShuttingDown => "the gateway is shutting down",
                        _ => "cancelled by the client",
                    });
                    return Err(error);
                }
                _ = shutdown.cutoff.cancelled() => {
                    cancel("the gateway is shutting down");
                    return Err(CallError::ShuttingDown);
                }
                _ = progressed.notified() => {
                    if let Some(idle_limit) = idle_limit {
                        idle.as_mut().reset(Instant::now() + idle_limit);
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    cancel("timed out at the gateway (timeouts.call)");
                    self.suspect(Suspicion::TimedOut);
                    return Err(CallError::TimedOut(Limit::Call(limits.call)));
                }
                _ = &mut idle => {
                    cancel("no progress within the gateway's idle limit (timeouts.idle)");
                    self.suspect(Suspicion::TimedOut);
                    return Err(CallError::TimedOut(Limit::Idle(limits.idle)));
                }
            }
        }
    }

    /// A request that failed in the MCP layer. Stopping backends may break their
    /// connections before sessions end: then it is the shutdown's doing.
    fn failed(&self, error: ServiceError, shutdown: Shutdown<'_>) -> CallError {
        match CallError::from_service(error) {
            CallError::Broken if shutdown.stopping.is_cancelled() => CallError::ShuttingDown,
            CallError::Broken => {
                self.suspect(Suspicion::Broken);
                CallError::Broken
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests;
