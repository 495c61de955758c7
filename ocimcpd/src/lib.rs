//! ocimcpd: the MCP gateway daemon for Oracle Cloud.
//!
//! The daemon supervises backend MCP servers and serves them behind one endpoint. Data
//! flows one way: listener → MCP session → router (catalog) → backend connection →
//! backend. Its parts, one module each:
//!
//! - [`config`]: the config file, `backends.d/`, validation with file:line errors.
//! - [`supervisor`]: child processes: spawn (venv, PYTHONPATH, clean env), process groups,
//!   stderr ring, stop, restart backoff.
//! - [`backends`]: one shared MCP client connection per backend and its lifecycle task.
//! - [`registry`]: backend states and the aggregated, lock-free catalog.
//! - [`relay`]: the return path from a backend to the client whose request it serves.
//! - [`gateway`]: the MCP front (rmcp over hyper), routing, gateway tools, health endpoints.
//! - [`logging`]: the tracing subscriber.
//!
//! The binary parses flags, loads [`config::Settings`], binds the listener and calls
//! [`run`]; tests do the same with a port-0 listener.

pub mod backends;
pub mod config;
pub mod gateway;
pub mod logging;
pub mod registry;
pub mod relay;
pub mod supervisor;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use config::Settings;
use gateway::Gateway;
use registry::Registry;

/// Sockets the daemon serves on, bound by the caller.
#[derive(Debug)]
pub struct Listeners {
    /// The Streamable HTTP endpoint and health checks.
    pub http: TcpListener,
}

/// Extra time allowed, beyond the longest backend stop grace, for shutdown to finish.
const SHUTDOWN_SLACK: Duration = Duration::from_secs(3);

/// Runs the daemon until `shutdown` fires, then stops every backend gracefully and
/// returns. If `force` fires meanwhile (a second signal), or the stop takes longer than
/// the longest backend stop grace allows, every backend's process group is killed at once.
pub async fn run(
    settings: Settings,
    listeners: Listeners,
    shutdown: CancellationToken,
    force: CancellationToken,
) {
    install_crypto_provider();
    let longest_stop = settings
        .backends
        .iter()
        .map(|b| b.timeouts.stop)
        .max()
        .unwrap_or_default();
    let registry = Arc::new(Registry::new(
        settings.backends,
        gateway::GATEWAY_TOOLS.to_vec(),
    ));
    let tracker = TaskTracker::new();

    backends::start_all(&registry, &tracker, &shutdown);
    let gateway = Gateway::new(registry.clone(), settings.gateway);
    gateway.spawn(listeners.http, &tracker, &shutdown);

    shutdown.cancelled().await;
    tracing::info!(
        "shutting down: stopping {} backend(s)",
        registry.entries().len()
    );
    tracker.close();
    let limit = longest_stop + SHUTDOWN_SLACK;
    tokio::select! {
        finished = tokio::time::timeout(limit, tracker.wait()) => {
            if finished.is_err() {
                tracing::warn!("shutdown did not finish within {limit:?}; killing what is left");
            }
        }
        _ = force.cancelled() => tracing::warn!("stopping now: killing every backend process group"),
    }
    for entry in registry.entries() {
        if let Some(pid) = entry.status().pid {
            supervisor::kill_group(pid);
        }
    }
}

/// Makes rustls+ring the process-wide TLS provider (the one TLS stack we ship). Safe to
/// call more than once.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed: ours, by an earlier call.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
