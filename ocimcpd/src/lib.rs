//! ocimcpd: the MCP gateway daemon for Oracle Cloud, the only crate of the workspace that
//! owns processes, sockets and state.
//!
//! The daemon supervises backend MCP servers and serves them behind one endpoint. Data
//! flows one way: listener → MCP session → router (catalog) → backend handle → transport
//! → backend. Its parts, one module each (most are private: the library exposes what its
//! binary, the in-process tests and the benches use):
//!
//! - [`config`]: the config file, `backends.d/`, validation with file:line errors; it
//!   builds the built-in tool sets' settings (`oci_tools::Settings`).
//! - `supervisor`: child processes: spawn (venv, PYTHONPATH, clean env, user and group),
//!   process groups, reading stderr, stop, restart backoff, and reaping backends' orphans
//!   once [`become_subreaper`] made the daemon their subreaper.
//! - `backends`: one shared MCP client connection per backend (stdio, Streamable HTTP, or
//!   an in-memory channel to a built-in tool set), the backend handle that owns every
//!   call (admission, limits, cancellation, the relay back to the caller, typed errors),
//!   the lifecycle task, and the control that starts, stops, enables and disables
//!   backends.
//! - [`registry`]: backend states and the aggregated, lock-free catalog.
//! - `gateway`: the MCP front (rmcp over hyper, and over `mcp.sock`), routing, gateway
//!   tools, health endpoints, and the one mapping of call errors to MCP errors.
//! - `jsonl`: newline-delimited JSON-RPC with a size limit (stdio backends, `mcp.sock`).
//! - `admin`: the admin socket, serving the protocol `ocimcpctl` speaks (its messages,
//!   the backend states and reports and the default directories live in `ocimcp-proto`,
//!   which both binaries depend on).
//! - `watch`: the live configuration: file watching, reloads, per-file rejection.
//! - `discovery`: finding MCP projects in the scan paths.
//! - `local_socket`: binding Unix sockets and checking their peers' credentials.
//! - [`LogRing`] (`log_ring`): the bounded in-memory logs (the daemon's and each
//!   backend's stderr) `ocimcpctl logs` reads, and the throttle on logged lines.
//! - [`logging`]: the tracing subscriber.
//! - [`nofile`]: the open-file limit, raised at start.
//! - [`systemd`]: READY/RELOADING/STOPPING notifications, the watchdog, socket activation.
//!
//! The binary parses flags, loads [`config::Settings`], binds the listeners and calls
//! [`run`]; the tests do the same on `127.0.0.1:0`.
//!
//! What it must not touch: the tool sets' internals (it serves `oci_tools::OciToolServer`
//! and builds its settings, nothing more), and the wire types it shares with `ocimcpctl`,
//! which live in `ocimcp-proto` so that the CLI never links the daemon.

mod admin;
mod backends;
pub mod config;
mod discovery;
mod error_codes;
mod gateway;
mod jsonl;
mod local_socket;
mod log_ring;
pub mod logging;
pub mod nofile;
pub mod registry;
mod supervisor;
pub mod systemd;
mod watch;

pub use log_ring::LogRing;
pub use supervisor::become_subreaper;

use std::sync::Arc;
use std::time::Duration;

use ocimcp_proto::paths;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use admin::Admin;
use backends::Backends;
use config::{ConfigPath, Settings};
use gateway::Gateway;
use registry::Registry;
use watch::LiveConfig;

/// Sockets the daemon serves on, bound by the caller.
#[derive(Debug)]
pub struct Listeners {
    /// The Streamable HTTP endpoint and health checks.
    pub http: TcpListener,
    /// `<runtime_dir>/mcp.sock`: the same MCP endpoint for local clients.
    pub mcp: UnixListener,
    /// Whether the service manager passed `mcp` (then it, not the daemon, removes it).
    pub mcp_passed: bool,
    /// `<runtime_dir>/admin.sock`: the control protocol.
    pub admin: UnixListener,
}

impl Listeners {
    /// Binds the local sockets in the configured runtime dir; HTTP is the caller's, and so
    /// is `mcp.sock` when the service manager passed it (socket activation).
    pub async fn bind(
        settings: &Settings,
        http: TcpListener,
        mcp: Option<UnixListener>,
    ) -> Result<Self, local_socket::BindError> {
        let dir = &settings.daemon.runtime_dir;
        let admin = local_socket::bind(&dir.join(paths::ADMIN_SOCKET)).await?;
        let mcp_passed = mcp.is_some();
        let mcp = match mcp {
            Some(passed) => passed,
            None => local_socket::bind(&dir.join(paths::MCP_SOCKET)).await?,
        };
        Ok(Self {
            http,
            mcp,
            mcp_passed,
            admin,
        })
    }
}

/// How the outside world steers a running daemon.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// Stop gracefully.
    pub shutdown: CancellationToken,
    /// Stop now: kill every backend's process group (a second signal).
    pub force: CancellationToken,
    /// Re-read the configuration (SIGHUP).
    pub reload: Arc<Notify>,
}

/// Extra time allowed, beyond the longest backend stop grace, for backends to stop.
const SHUTDOWN_SLACK: Duration = Duration::from_secs(3);

/// After the last request in flight is answered, how long its answer gets to be written
/// before sessions are closed.
const ANSWER_FLUSH: Duration = Duration::from_millis(200);

/// How long sessions get to close before backends are stopped regardless.
const SESSIONS_CLOSE: Duration = Duration::from_secs(2);

/// Runs the daemon until `signals.shutdown` fires, then drains and stops:
///
/// 1. new sessions and requests are refused (HTTP 503, a JSON-RPC error, `mcp.sock` stops
///    listening) while requests in flight finish, for up to `[daemon] shutdown_grace`;
/// 2. sessions close; requests still in flight are cancelled at their backends;
/// 3. backends stop (SIGTERM to each process group, SIGKILL after `timeouts.stop`).
///
/// `signals.force` (a second signal) skips the waiting: backends' process groups are
/// killed at once. `daemon_log` is where the daemon's own log lines are kept (see
/// [`logging::init`]).
pub async fn run(
    config_path: ConfigPath,
    settings: Settings,
    listeners: Listeners,
    daemon_log: Arc<LogRing>,
    signals: Signals,
) {
    install_crypto_provider();
    let Signals {
        shutdown,
        force,
        reload,
    } = signals;
    let registry = Arc::new(Registry::new(gateway::GATEWAY_TOOLS.to_vec()));
    // Backends' orphans come to a subreaper daemon; they are reaped until `run` returns.
    let reaping = CancellationToken::new();
    tokio::spawn(supervisor::reap_orphans(reaping.clone()));
    let _reaping = reaping.drop_guard();
    // The front (listeners, admin, config watching) and the backends stop in turn.
    let front = TaskTracker::new();
    let serving = CancellationToken::new();
    let backend_tasks = TaskTracker::new();
    let backends_stop = CancellationToken::new();
    let runtime_dir = settings.daemon.runtime_dir.clone();
    let mcp_passed = listeners.mcp_passed;
    let mcp_url = listeners.http.local_addr().map_or_else(
        |_| {
            format!(
                "http://{}{}",
                settings.gateway.listen, settings.gateway.path
            )
        },
        |addr| format!("http://{addr}{}", settings.gateway.path),
    );

    let backends = Backends::new(
        registry.clone(),
        &settings.daemon.state_dir,
        backend_tasks.clone(),
        backends_stop.clone(),
    );
    let gateway = Gateway::new(
        registry.clone(),
        settings.gateway.clone(),
        shutdown.clone(),
        serving.clone(),
    );
    gateway.spawn(listeners.http, &front);
    gateway.spawn_local(
        listeners.mcp,
        runtime_dir.join(paths::MCP_SOCKET),
        !listeners.mcp_passed,
        &front,
    );
    let admin = Admin {
        registry: registry.clone(),
        backends: backends.clone(),
        live: LiveConfig::start(config_path, settings.clone(), backends.clone()).await,
        daemon_log,
        gateway_tools: gateway::tool_definitions(),
        daemon: ocimcp_proto::admin::DaemonInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            pid: std::process::id(),
            uptime_seconds: 0.0,
            config: settings.source.to_string(),
            backends_dir: settings.backends_dir.clone(),
            scan_paths: settings.scan_paths.clone(),
            runtime_dir: runtime_dir.clone(),
            state_dir: settings.daemon.state_dir.clone(),
            mcp_url,
            mcp_socket: runtime_dir.join(paths::MCP_SOCKET),
            settled: false,
        },
    };
    let live = admin.live.clone();
    // Config changes stop applying once the drain begins.
    front.spawn(watch::watch(live.clone(), shutdown.child_token()));
    front.spawn(reload_on_signal(
        live,
        registry.clone(),
        reload,
        shutdown.child_token(),
    ));
    front.spawn(admin::serve(
        listeners.admin,
        runtime_dir.join(paths::ADMIN_SOCKET),
        Arc::new(admin),
        serving.child_token(),
    ));
    // Listening on every socket, backends starting: clients can connect.
    systemd::ready(&registry);
    front.spawn(systemd::report_status(
        registry.clone(),
        shutdown.child_token(),
    ));
    systemd::watchdog(tokio::runtime::Handle::current(), serving.child_token());

    shutdown.cancelled().await;
    systemd::stopping();
    drain(&gateway, settings.daemon.shutdown_grace, &force).await;
    serving.cancel();
    front.close();
    tokio::select! {
        _ = tokio::time::timeout(SESSIONS_CLOSE, front.wait()) => {}
        _ = force.cancelled() => {}
    }

    let entries = registry.entries();
    tracing::info!("stopping {} backend(s)", entries.len());
    let longest_stop = entries
        .iter()
        .map(|e| e.spec().timeouts.stop)
        .max()
        .unwrap_or_default();
    backends_stop.cancel();
    backend_tasks.close();
    let limit = longest_stop + SHUTDOWN_SLACK;
    tokio::select! {
        finished = tokio::time::timeout(limit, backend_tasks.wait()) => {
            if finished.is_err() {
                tracing::warn!("backends did not stop within {limit:?}; killing what is left");
            }
        }
        _ = force.cancelled() => tracing::warn!("stopping now: killing every backend process group"),
    }
    for entry in registry.entries().iter() {
        if let Some(pid) = entry.status().pid {
            supervisor::kill_group(pid);
        }
    }
    let _ = std::fs::remove_file(runtime_dir.join(paths::ADMIN_SOCKET));
    if !mcp_passed {
        let _ = std::fs::remove_file(runtime_dir.join(paths::MCP_SOCKET));
    }
}

/// Waits for requests in flight to finish, up to `grace` (or until `force`).
async fn drain(gateway: &Gateway, grace: Duration, force: &CancellationToken) {
    let in_flight = gateway.in_flight();
    if in_flight == 0 {
        tracing::info!("shutting down: no requests in flight");
        return;
    }
    tracing::info!(
        "shutting down: waiting up to {grace:?} (shutdown_grace) for {in_flight} request(s) in flight; new ones are refused"
    );
    tokio::select! {
        _ = answered(gateway) => {
            tracing::info!("every request in flight finished");
            return;
        }
        _ = tokio::time::sleep(grace) => tracing::warn!(
            "{} request(s) still in flight after {grace:?} (shutdown_grace); cancelling them",
            gateway.in_flight()
        ),
        _ = force.cancelled() => tracing::warn!("stopping now: cancelling the requests in flight"),
    }
    // Their clients are told while their sessions can still carry the answer.
    gateway.cut_off();
    let _ = tokio::time::timeout(SESSIONS_CLOSE, answered(gateway)).await;
}

/// Resolves once no request is in flight and the last answer had time to be written.
async fn answered(gateway: &Gateway) {
    while gateway.in_flight() > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(ANSWER_FLUSH).await;
}

/// SIGHUP: re-read the configuration, as `ocimcpctl reload` does.
async fn reload_on_signal(
    live: Arc<LiveConfig>,
    registry: Arc<Registry>,
    reload: Arc<Notify>,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = reload.notified() => {
                tracing::info!("SIGHUP: reloading the configuration");
                systemd::reloading();
                // The outcome is logged, and a rejection is kept for `ocimcpctl status`.
                let _ = live.reload().await;
                systemd::ready(&registry);
            }
        }
    }
}

/// Makes rustls+ring the process-wide TLS provider (the one TLS stack we ship). Safe to
/// call more than once.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed: ours, by an earlier call.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
