//! Backend states and what the daemon knows about each backend's history.
//!
//! The states and their transitions are drawn in `docs/backend-lifecycle.md`.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendState {
    /// Not enabled (by its spec, or by `ocimcpctl disable`); not running.
    Disabled,
    /// Spawning or connecting, then `initialize` and the first listing.
    Starting,
    /// Initialized and listed; calls are forwarded.
    Ready,
    /// Ready, but its last health ping(s) failed (`health.failures_to_degrade`). Still
    /// served; flagged in health reports.
    Degraded,
    /// Taken out of service: it failed `health.failures_to_quarantine` pings in a row, or
    /// exited `restart.crash_loop_exits` times within `restart.crash_loop_window`. Its
    /// tools, prompts and resources are out of the catalog and calls naming them fail at
    /// once. It is probed (started afresh) on a slow schedule with backoff and returns by
    /// itself when a probe succeeds; `ocimcpctl restart` clears it at once.
    Quarantined,
    /// Exited or failed to start; a restart is scheduled after a backoff delay. Its tools
    /// stay listed and calls to them fail at once.
    Restarting,
    /// Exited or failed and its restart policy says not to try again.
    Failed,
    /// Stopped by the daemon (shutdown) or by `ocimcpctl stop`.
    Stopped,
}

impl BackendState {
    /// Whether calls are forwarded in this state.
    pub fn serves(self) -> bool {
        matches!(self, BackendState::Ready | BackendState::Degraded)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BackendState::Disabled => "disabled",
            BackendState::Starting => "starting",
            BackendState::Ready => "ready",
            BackendState::Degraded => "degraded",
            BackendState::Quarantined => "quarantined",
            BackendState::Restarting => "restarting",
            BackendState::Failed => "failed",
            BackendState::Stopped => "stopped",
        }
    }
}

impl fmt::Display for BackendState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a backend should run, and who said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Enabled {
    pub enabled: bool,
    /// `spec`: the backend's own `enabled` key (or discovery's default); `state`: an
    /// `ocimcpctl enable/disable` kept in the state directory, which wins over the spec.
    pub by: EnabledBy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnabledBy {
    Spec,
    State,
}

impl Enabled {
    pub fn by_spec(spec: &crate::config::BackendSpec) -> Self {
        Self {
            enabled: spec.enabled,
            by: EnabledBy::Spec,
        }
    }
}

/// A backend's state and history, as shown by `gateway_health`.
#[derive(Debug, Clone)]
pub struct BackendStatus {
    pub state: BackendState,
    pub enabled: Enabled,
    /// When the backend entered `state`.
    pub since: SystemTime,
    /// Times the backend has been restarted after an exit or a failed start.
    pub restarts: u32,
    /// Failed health pings and recovery probes since the last success.
    pub consecutive_failures: u32,
    /// How long the last successful health ping took.
    pub last_ping: Option<std::time::Duration>,
    /// How its last process ended, e.g. "killed by signal 9 (SIGKILL)".
    pub last_exit: Option<String>,
    pub last_error: Option<String>,
    pub pid: Option<u32>,
    /// When the next start attempt is due, while `restarting`; the next recovery probe,
    /// while `quarantined`.
    pub next_attempt: Option<SystemTime>,
    /// True once the backend has become ready or failed at least once (for `/readyz`).
    pub settled: bool,
    /// The backend's own name and version from `initialize`.
    pub server: Option<String>,
    pub protocol_version: Option<String>,
    /// Names of this backend's that are not exposed because another backend has them.
    pub conflicts: Vec<String>,
}

impl BackendStatus {
    pub fn new(enabled: Enabled) -> Self {
        let state = if enabled.enabled {
            BackendState::Starting
        } else {
            BackendState::Disabled
        };
        Self {
            state,
            enabled,
            since: SystemTime::now(),
            restarts: 0,
            consecutive_failures: 0,
            last_ping: None,
            last_exit: None,
            last_error: None,
            pid: None,
            next_attempt: None,
            settled: state == BackendState::Disabled,
            server: None,
            protocol_version: None,
            conflicts: Vec::new(),
        }
    }
}
