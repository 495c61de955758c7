//! What the daemon knows about each backend: whether it should run and who said so, its
//! state ([`BackendState`], shared with `ocimcpctl` through `ocimcp-proto`) and its history.
//!
//! The states and their transitions are drawn in `docs/backend-lifecycle.md`.

use std::time::SystemTime;

use ocimcp_proto::backend::{BackendState, EnabledBy};
use serde::Serialize;

/// Whether a backend should run, and who said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Enabled {
    pub enabled: bool,
    /// `spec`: the backend's own `enabled` key (or discovery's default); `state`: an
    /// `ocimcpctl enable/disable` kept in the state directory, which wins over the spec.
    pub by: EnabledBy,
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
