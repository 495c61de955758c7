//! Backend connections: owns one long-lived MCP client session per enabled backend (over a
//! supervised child's stdio, or Streamable HTTP), shared by every client session with
//! requests multiplexed by id, and the lifecycle task that restarts it. Backends start in
//! parallel; one that fails never delays the others.

mod client;
mod connect;
mod lifecycle;
mod ordered;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::registry::Registry;

/// Starts a lifecycle task for every enabled backend. The tasks stop their backends and
/// end when `shutdown` fires; wait for them on `tracker`.
pub fn start_all(registry: &Arc<Registry>, tracker: &TaskTracker, shutdown: &CancellationToken) {
    for entry in registry.entries() {
        if !entry.spec().enabled {
            tracing::info!(backend = %entry.name(), "backend disabled in its spec; not started");
            continue;
        }
        tracker.spawn(lifecycle::run(
            entry.clone(),
            registry.clone(),
            shutdown.child_token(),
        ));
    }
}
