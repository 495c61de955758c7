//! One backend as the rest of the daemon sees it: its spec, its status, its call path
//! (the [`BackendHandle`], which holds the live connection when the backend is ready) and
//! its last listing. The lifecycle task in `backends/` writes its state (the backend
//! control sets whether it is enabled); the gateway reads it and calls through the handle.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use ocimcp_proto::backend::BackendState;
use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};

use super::state::{BackendStatus, Enabled};
use crate::backends::{BackendHandle, Connection};
use crate::config::BackendSpec;
use crate::log_ring::{LogRing, RING_LINES};

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
    /// The call path, and the live connection when the backend is ready.
    handle: BackendHandle,
    listing: ArcSwapOption<Listing>,
    stderr: Arc<LogRing>,
}

impl BackendEntry {
    pub fn new(spec: BackendSpec, enabled: Enabled) -> Self {
        let stderr = Arc::new(LogRing::new(&spec.name, RING_LINES));
        let spec = Arc::new(spec);
        Self {
            handle: BackendHandle::new(spec.clone()),
            spec,
            status: Mutex::new(BackendStatus::new(enabled)),
            listing: ArcSwapOption::empty(),
            stderr,
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

    pub fn stderr(&self) -> &Arc<LogRing> {
        &self.stderr
    }

    /// The call path: every request to the backend goes through it.
    pub fn handle(&self) -> &BackendHandle {
        &self.handle
    }

    /// The live connection, if the backend is ready. Lock-free.
    pub fn connection(&self) -> Option<Arc<Connection>> {
        self.handle.connection()
    }

    pub fn listing(&self) -> Option<Arc<Listing>> {
        self.listing.load_full()
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
        if !matches!(state, BackendState::Restarting | BackendState::Quarantined) {
            status.next_attempt = None;
        }
    }

    // Transitions. Each is called by the backend's lifecycle task only.

    /// A start attempt begins. A quarantined backend stays quarantined while it is
    /// probed: only success brings it back.
    pub(crate) fn starting(&self) {
        let mut status = self.lock();
        if status.state != BackendState::Quarantined {
            Self::enter(&mut status, BackendState::Starting);
        }
    }

    /// Starts over by hand (`ocimcpctl start/restart`, enable): out of any quarantine,
    /// with a clean failure count.
    pub(crate) fn start_over(&self) {
        let mut status = self.lock();
        Self::enter(&mut status, BackendState::Starting);
        status.consecutive_failures = 0;
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
        self.handle.connect(Some(connection));
        let mut status = self.lock();
        Self::enter(&mut status, BackendState::Ready);
        status.server = server;
        status.protocol_version = Some(protocol);
        status.consecutive_failures = 0;
    }

    /// A health ping was answered in `latency`: a degraded backend is ready again.
    /// Returns true when that recovered it.
    pub(crate) fn ping_answered(&self, latency: Duration) -> bool {
        let mut status = self.lock();
        status.last_ping = Some(latency);
        status.consecutive_failures = 0;
        let recovered = status.state == BackendState::Degraded;
        if recovered {
            Self::enter(&mut status, BackendState::Ready);
        }
        recovered
    }

    /// A health ping (or recovery probe) failed; returns the consecutive failures so far.
    /// At `degrade_at` a ready backend becomes degraded.
    pub(crate) fn check_failed(&self, error: String, degrade_at: u32) -> u32 {
        let mut status = self.lock();
        status.consecutive_failures = status.consecutive_failures.saturating_add(1);
        status.last_error = Some(error);
        if status.state == BackendState::Ready && status.consecutive_failures >= degrade_at {
            Self::enter(&mut status, BackendState::Degraded);
        }
        status.consecutive_failures
    }

    /// Out of service until `next_probe`: calls fail at once. Its last listing is kept so
    /// the catalog can tell clients whose tools these were; the caller rebuilds the
    /// catalog, which leaves them out.
    pub(crate) fn quarantined(&self, next_probe: SystemTime, why: String) {
        self.handle.connect(None);
        let mut status = self.lock();
        status.last_error = Some(why);
        Self::enter(&mut status, BackendState::Quarantined);
        status.pid = None;
        status.settled = true;
        status.next_attempt = Some(next_probe);
    }

    /// Ready and in the catalog.
    pub(crate) fn mark_settled(&self) {
        self.lock().settled = true;
    }

    /// A fresh listing after the backend said its lists changed.
    pub fn relisted(&self, listing: Listing) {
        self.listing.store(Some(Arc::new(listing)));
    }

    /// The connection is gone (exit, crash, failed start); calls fail at once from now on.
    pub(crate) fn lost(&self, exit: Option<String>, error: String) {
        self.handle.connect(None);
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
        self.handle.connect(None);
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
