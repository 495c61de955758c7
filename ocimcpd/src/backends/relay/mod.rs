//! The return path: owns, for one backend connection, the client requests in flight to
//! that backend, so that what the backend sends while serving one of them reaches the
//! client that made it, and no other: progress (tokens mapped both ways), server→client
//! requests (sampling, elicitation, roots) and log messages. The gateway registers each
//! forwarded request; the backend's client handler asks where a message belongs. Resource
//! updates belong to no request and go out as [`Notice`]s for the gateway to fan out.
//!
//! Association: a Streamable HTTP backend sends its requests on the response stream of
//! the request they serve, and rmcp records which one, so the match is exact. A stdio
//! backend cannot say; its request then belongs to the one client with requests in flight,
//! and is refused (with an error to the backend, never a hang) when there are several.
//!
//! A log message belongs to the request whose progress token it carries in `_meta`
//! (`progressToken`, the token the request had on the backend connection), else to the
//! one client with requests in flight. One that names no request in flight, or arrives
//! while no client or several clients have requests in flight, belongs to nobody: it goes
//! to the daemon's log only, never to another client.

// Logging levels are deprecated by SEP-2577, but still part of the protocol.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rmcp::model::{ClientCapabilities, LoggingLevel, ProgressToken, ProtocolVersion, RequestId};
use rmcp::service::{Peer, RoleServer};
use tokio::sync::{Notify, broadcast};
use tokio::time::Instant;

/// How long a backend message may wait for the request it belongs to to be registered:
/// the request is on the wire a moment before the gateway records it.
const REGISTRATION_GRACE: Duration = Duration::from_millis(200);

/// One client request being served by the backend.
#[derive(Debug)]
pub struct InFlight {
    /// Where the client is reached: its session's peer, or a stateless request's own.
    pub client: Peer<RoleServer>,
    /// Tells clients apart (one per session; one per stateless request).
    pub client_key: u64,
    /// The request's id on the client's side.
    pub client_request: RequestId,
    /// The client's progress token, if it asked for progress.
    pub client_progress: Option<ProgressToken>,
    /// The least severe log level the client wants, if it asked for log messages.
    pub log_level: Option<LoggingLevel>,
    /// What the client declared it can do (sampling, elicitation, roots).
    pub capabilities: Option<ClientCapabilities>,
    /// The protocol version the client's request uses.
    pub protocol: Option<ProtocolVersion>,
    /// Served without a session (`stateless = true`): the client's answer to a
    /// server→client request would arrive in a request of its own that cannot be tied
    /// back to this one.
    pub stateless: bool,
    /// Notified on each progress notification the backend sends for this request: the
    /// gateway's idle timer for it starts over.
    pub progressed: Arc<Notify>,
}

/// A backend message for the gateway to deliver to whichever clients want it.
#[derive(Debug, Clone)]
pub enum Notice {
    /// A subscribed resource changed; `uri` is the backend's own.
    ResourceUpdated { backend: String, uri: String },
}

/// Why a backend message could not be matched to a client request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unrouted {
    #[error("it arrived while no client request was in flight at this backend")]
    NoRequest,
    #[error(
        "{0} different clients have requests in flight at this backend, and a stdio backend cannot say which one the message is for"
    )]
    Ambiguous(usize),
    #[error("it names a request (progress token {0}) that is not in flight at this backend")]
    UnknownToken(String),
}

#[derive(Debug, Default)]
struct Table {
    /// By the backend-side request id.
    requests: HashMap<RequestId, Arc<InFlight>>,
    /// Backend-side progress token → backend-side request id.
    progress: HashMap<ProgressToken, RequestId>,
}

#[derive(Debug)]
pub struct Relay {
    backend: String,
    table: Mutex<Table>,
    registered: Notify,
    notices: broadcast::Sender<Notice>,
    /// When the connection was made; `heard` counts from here.
    born: Instant,
    /// Milliseconds after `born` when the backend last sent anything.
    heard: AtomicU64,
}

/// Keeps a request registered; removes it when dropped (answered, failed, cancelled).
#[derive(Debug)]
pub struct Registration {
    relay: Arc<Relay>,
    request: RequestId,
    progress: ProgressToken,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut table = self.relay.lock();
        table.requests.remove(&self.request);
        table.progress.remove(&self.progress);
    }
}

impl Relay {
    pub fn new(backend: &str, notices: broadcast::Sender<Notice>) -> Arc<Self> {
        Arc::new(Self {
            backend: backend.to_owned(),
            table: Mutex::default(),
            registered: Notify::new(),
            notices,
            born: Instant::now(),
            heard: AtomicU64::new(0),
        })
    }

    /// The backend sent a message (any message): it is alive, if perhaps busy.
    pub fn heard(&self) {
        let ms = u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.heard.fetch_max(ms, Ordering::Relaxed);
    }

    /// Whether the backend sent anything at or after `since`.
    pub fn heard_since(&self, since: Instant) -> bool {
        let since = u64::try_from(since.saturating_duration_since(self.born).as_millis())
            .unwrap_or(u64::MAX);
        self.heard.load(Ordering::Relaxed) >= since
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a forwarded request under the id and progress token it got on the
    /// backend connection.
    pub fn register(
        self: &Arc<Self>,
        request: RequestId,
        progress: ProgressToken,
        in_flight: InFlight,
    ) -> Registration {
        {
            let mut table = self.lock();
            table.requests.insert(request.clone(), Arc::new(in_flight));
            table.progress.insert(progress.clone(), request.clone());
        }
        self.registered.notify_waiters();
        Registration {
            relay: self.clone(),
            request,
            progress,
        }
    }

    /// The client request a backend request belongs to. `origin` is the backend-side
    /// request it arrived on, when the transport can tell.
    pub async fn find(&self, origin: Option<&RequestId>) -> Result<Arc<InFlight>, Unrouted> {
        self.wait_for(|table| match origin {
            Some(origin) => table
                .requests
                .get(origin)
                .cloned()
                .ok_or(Unrouted::NoRequest),
            None => sole(table),
        })
        .await
    }

    /// The client request whose progress a backend progress token reports.
    pub async fn by_progress(&self, token: &ProgressToken) -> Option<Arc<InFlight>> {
        self.wait_for(|table| {
            table
                .progress
                .get(token)
                .and_then(|id| table.requests.get(id))
                .cloned()
                .ok_or(Unrouted::NoRequest)
        })
        .await
        .ok()
    }

    /// The client request a backend log message belongs to (see the module doc); `token`
    /// is the progress token the message names in `_meta`, if any.
    pub async fn log_owner(
        &self,
        token: Option<&ProgressToken>,
    ) -> Result<Arc<InFlight>, Unrouted> {
        match token {
            Some(token) => self.by_progress(token).await.ok_or_else(|| {
                Unrouted::UnknownToken(serde_json::to_string(token).unwrap_or_default())
            }),
            None => sole(&self.lock()),
        }
    }

    /// Hands a message no single request claims to the gateway.
    pub fn notice(&self, notice: Notice) {
        // No receiver: nobody is connected to hear it.
        let _ = self.notices.send(notice);
    }

    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// Looks a message up, waiting briefly for a registration that may be on its way.
    async fn wait_for<T>(
        &self,
        look: impl Fn(&Table) -> Result<T, Unrouted>,
    ) -> Result<T, Unrouted> {
        let deadline = tokio::time::Instant::now() + REGISTRATION_GRACE;
        loop {
            let registered = self.registered.notified();
            tokio::pin!(registered);
            registered.as_mut().enable();
            let found = look(&self.lock());
            match found {
                Ok(value) => return Ok(value),
                // More than one client: waiting cannot make it fewer.
                Err(other @ (Unrouted::Ambiguous(_) | Unrouted::UnknownToken(_))) => {
                    return Err(other);
                }
                Err(Unrouted::NoRequest) => {
                    if tokio::time::timeout_at(deadline, registered).await.is_err() {
                        return Err(Unrouted::NoRequest);
                    }
                }
            }
        }
    }
}

/// The most recent request of the only client in flight.
fn sole(table: &Table) -> Result<Arc<InFlight>, Unrouted> {
    let mut clients: Vec<u64> = table.requests.values().map(|r| r.client_key).collect();
    clients.sort_unstable();
    clients.dedup();
    match clients.len() {
        0 => Err(Unrouted::NoRequest),
        1 => table
            .requests
            .values()
            .max_by_key(|r| request_order(&r.client_request))
            .cloned()
            .ok_or(Unrouted::NoRequest),
        n => Err(Unrouted::Ambiguous(n)),
    }
}

/// Orders a client's request ids (numbers as numbers, strings after them).
fn request_order(id: &RequestId) -> (u8, i64, String) {
    match id {
        RequestId::Number(n) => (0, *n, String::new()),
        RequestId::String(s) => (1, 0, s.to_string()),
    }
}

/// Severity rank of a log level (debug lowest).
pub fn level_rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

/// True when a client that asked for `wanted` and up should get a message at `level`.
pub fn wants(wanted: Option<LoggingLevel>, level: LoggingLevel) -> bool {
    wanted.is_some_and(|wanted| level_rank(level) >= level_rank(wanted))
}

#[cfg(test)]
mod tests;
