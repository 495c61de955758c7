//! A backend as both binaries see it: its state and the report of it that the admin
//! protocol (`status`, `list`, `show`) and the gateway's own tools (`gateway_health`,
//! `gateway_list_backends`) send. The daemon builds reports from its registry
//! (`ocimcpd/src/registry/report.rs`); the states and their transitions are drawn in
//! `docs/backend-lifecycle.md`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a backend is in its lifecycle; serialized in snake_case (`"ready"`).
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

/// Who decided whether a backend is enabled: `spec`, its own `enabled` key (or
/// discovery's default); `state`, an `ocimcpctl enable/disable` kept in the state
/// directory, which wins over the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnabledBy {
    Spec,
    State,
    /// Disabled: a discovered backend whose command, args, env or venv changed since it
    /// was enabled; `ocimcpctl enable` again trusts what it runs now.
    Changed,
}

/// One backend, as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackendReport {
    pub name: String,
    pub state: BackendState,
    /// Seconds since the backend entered its state.
    pub state_for_seconds: f64,
    /// When it entered its state (Unix seconds).
    #[serde(default)]
    pub since_unix: f64,
    pub transport: String,
    pub enabled: bool,
    /// `spec` (its own `enabled`) or `state` (`ocimcpctl enable/disable`).
    pub enabled_by: EnabledBy,
    pub namespace: String,
    pub tags: Vec<String>,
    pub tools: usize,
    pub restarts: u32,
    /// Failed health pings and recovery probes since the last success.
    #[serde(default)]
    pub consecutive_failures: u32,
    /// How long the last successful health ping took, in milliseconds.
    #[serde(default)]
    pub last_ping_ms: Option<f64>,
    /// Requests at the backend now, and waiting for a slot.
    #[serde(default)]
    pub in_flight: usize,
    #[serde(default)]
    pub queued: usize,
    pub last_exit: Option<String>,
    pub last_error: Option<String>,
    pub pid: Option<u32>,
    pub next_attempt_in_seconds: Option<f64>,
    pub server: Option<String>,
    pub protocol_version: Option<String>,
    pub conflicts: Vec<String>,
}
