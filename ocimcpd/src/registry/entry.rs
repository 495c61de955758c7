//! One backend as the rest of the daemon sees it: its spec, its status, the live MCP
//! connection (when ready) and its last listing. The lifecycle task in `backends/` writes
//! its state (the backend control sets whether it is enabled); the gateway reads.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use arc_swap::ArcSwapOption;
use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};
use rmcp::service::{Peer, RoleClient};
use tokio::sync::Notify;

use super::state::{BackendState, BackendStatus, Enabled};
use crate::config::BackendSpec;
use crate::relay::Relay;
use crate::supervisor::{RING_LINES, StderrLog};

/// A live MCP session with a backend; cheap to clone, requests are multiplexed.
#[derive(Debug, Clone)]
pub struct Connection {
    pub peer: Peer<RoleClient>,
    /// The client requests in flight on this connection (see `relay`).
    pub relay: Arc<Relay>,
}

/// What a backend offers, as it listed it (its own names).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub tools: Vec<Tool>,
    pub prompts: Vec<Prompt>,
    pub resources: Vec<Resource>,
    pub templates: Vec<ResourceTemplate>,
}

#[derive(Debug)]
pub struct BackendEntry {
    spec: Arc<BackendSpec>,
    status: Mutex<BackendStatus>,
    connection: ArcSwapOption<Connection>,
    listing: ArcSwapOption<Listing>,
    stderr: Arc<StderrLog>,
    /// Raised when a request to the backend broke; its lifecycle task then checks it.
    suspect: Notify,
}

impl BackendEntry {
    pub fn new(spec: BackendSpec, enabled: Enabled) -> Self {
        let stderr = Arc::new(StderrLog::new(&spec.name, RING_LINES));
        Self {
            spec: Arc::new(spec),
            status: Mutex::new(BackendStatus::new(enabled)),
            connection: ArcSwapOption::empty(),
            listing: ArcSwapOption::empty(),
            stderr,
            suspect: Notify::new(),
        }
    }

    /// A new entry for a changed spec of `old`'s backend, keeping its stderr history.
    pub fn replacing(old: &BackendEntry, spec: BackendSpec, enabled: Enabled) -> Self {
        Self {
            stderr: old.stderr.clone(),
            ..Self::new(spec, enabled)
        }
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn spec(&self) -> &Arc<BackendSpec> {
        &self.spec
    }

    pub fn stderr(&self) -> &Arc<StderrLog> {
        &self.stderr
    }

    /// The live connection, if the backend is ready. Lock-free.
    pub fn connection(&self) -> Option<Arc<Connection>> {
        self.connection.load_full()
    }

    pub fn listing(&self) -> Option<Arc<Listing>> {
        self.listing.load_full()
    }

    /// Tells the lifecycle task that a request to this backend failed at the transport
    /// level, so it checks at once whether the backend still answers. A hint, not a state
    /// change: the lifecycle task decides.
    pub fn suspect(&self) {
        self.suspect.notify_one();
    }

    /// Resolves when [`suspect`](Self::suspect) was called (a call made meanwhile is kept).
    pub(crate) async fn suspected(&self) {
        self.suspect.notified().await;
    }

    /// A copy of the current status.
    pub fn status(&self) -> BackendStatus {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, BackendStatus> {
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enter(status: &mut BackendStatus, state: BackendState) {
        if status.state != state {
            status.state = state;
            status.since = SystemTime::now();
        }
        if state != BackendState::Restarting {
            status.next_attempt = None;
        }
    }

    // Transitions. Each is called by the backend's lifecycle task only.

    pub(crate) fn starting(&self) {
        let mut status = self.lock();
        Self::enter(&mut status, BackendState::Starting);
    }

    pub(crate) fn spawned(&self, pid: u32) {
        self.lock().pid = Some(pid);
    }

    /// Initialized and listed: calls go through from now on. The backend counts as
    /// settled (for `/readyz`) only once [`mark_settled`](Self::mark_settled) is called,
    /// after the catalog includes it.
    pub(crate) fn ready(
        &self,
        connection: Connection,
        listing: Listing,
        server: Option<String>,
        protocol: String,
    ) {
        self.listing.store(Some(Arc::new(listing)));
        self.connection.store(Some(Arc::new(connection)));
        let mut status = self.lock();
        Self::enter(&mut status, BackendState::Ready);
        status.server = server;
        status.protocol_version = Some(protocol);
    }

    /// Ready and in the catalog.
    pub(crate) fn mark_settled(&self) {
        self.lock().settled = true;
    }

    /// A fresh listing after the backend said its lists changed.
    pub(crate) fn relisted(&self, listing: Listing) {
        self.listing.store(Some(Arc::new(listing)));
    }

    /// The connection is gone (exit, crash, failed start); calls fail at once from now on.
    pub(crate) fn lost(&self, exit: Option<String>, error: String) {
        self.connection.store(None);
        let mut status = self.lock();
        status.pid = None;
        status.settled = true;
        if exit.is_some() {
            status.last_exit = exit;
        }
        status.last_error = Some(error);
    }

    pub(crate) fn restarting(&self, at: SystemTime) {
        let mut status = self.lock();
        Self::enter(&mut status, BackendState::Restarting);
        status.next_attempt = Some(at);
        status.restarts += 1;
    }

    /// Given up (restart policy) or stopped by the daemon: its names leave the catalog.
    pub(crate) fn ended(&self, state: BackendState) {
        self.connection.store(None);
        self.listing.store(None);
        let mut status = self.lock();
        status.pid = None;
        Self::enter(&mut status, state);
    }

    /// Enabled or disabled (by `ocimcpctl`). The caller stops a backend before disabling
    /// it, and starts it after enabling it.
    pub(crate) fn set_enabled(&self, enabled: Enabled) {
        let mut status = self.lock();
        status.enabled = enabled;
        if !enabled.enabled {
            Self::enter(&mut status, BackendState::Disabled);
            status.settled = true;
        }
    }

    pub(crate) fn set_conflicts(&self, conflicts: Vec<String>) {
        self.lock().conflicts = conflicts;
    }
}
