//! A backend's state as reported to people and tools (`gateway_health`,
//! `gateway_list_backends`, `ocimcpctl status/list/show`): one serializable shape
//! ([`BackendReport`], in `ocimcp-proto`), built from the registry in one place.

use std::time::{Duration, SystemTime};

use ocimcp_proto::backend::BackendReport;

use super::{BackendEntry, Catalog, Registry};

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
