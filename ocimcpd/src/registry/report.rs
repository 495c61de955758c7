//! A backend's state as reported to people and tools (`gateway_health`,
//! `gateway_list_backends`, `ocimcpctl status/list/show`): one serializable shape, built
//! from the registry in one place.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{BackendEntry, BackendState, Catalog, EnabledBy, Registry};

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

/// Every backend, in registry order.
pub fn reports(registry: &Registry) -> Vec<BackendReport> {
    let catalog = registry.catalog();
    registry
        .entries()
        .iter()
        .map(|entry| build(&catalog, entry))
        .collect()
}

pub fn report(registry: &Registry, entry: &BackendEntry) -> BackendReport {
    build(&registry.catalog(), entry)
}

fn build(catalog: &Catalog, entry: &BackendEntry) -> BackendReport {
    let now = SystemTime::now();
    let status = entry.status();
    let spec = entry.spec();
    BackendReport {
        name: spec.name.clone(),
        state: status.state,
        state_for_seconds: now.duration_since(status.since).map_or(0.0, round_seconds),
        since_unix: status
            .since
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, round_seconds),
        transport: spec.transport.kind().to_owned(),
        enabled: status.enabled.enabled,
        enabled_by: status.enabled.by,
        namespace: spec.namespace.clone(),
        tags: spec.tags.clone(),
        tools: catalog.tool_count(entry.name()),
        restarts: status.restarts,
        consecutive_failures: status.consecutive_failures,
        last_ping_ms: status
            .last_ping
            .map(|d| (d.as_secs_f64() * 1e6).round() / 1e3),
        in_flight: entry.handle().load().in_flight(),
        queued: entry.handle().load().queued(),
        last_exit: status.last_exit,
        last_error: status.last_error,
        pid: status.pid,
        next_attempt_in_seconds: status
            .next_attempt
            .map(|at| at.duration_since(now).map_or(0.0, round_seconds)),
        server: status.server,
        protocol_version: status.protocol_version,
        conflicts: status.conflicts,
    }
}

/// Seconds, to the millisecond.
pub fn round_seconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0).round() / 1000.0
}
