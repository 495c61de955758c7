//! The MCP front: owns the rmcp server handler (routing by the registry's catalog, each
//! request handed to its backend's handle), the one mapping of call errors to MCP errors
//! (`errors.rs`), client sessions (log levels, resource subscriptions held upstream), the
//! gateway's own tools, what clients are told unasked (list changes, backend log
//! messages, resource updates, subscriptions made again after a restart), the HTTP
//! listener with its bearer-token check, health endpoints and resource metadata, the local
//! MCP socket, the limits on what clients may take (connections, request bodies,
//! sessions), what clients may see of backends (`disclosure.rs`), and the drain on
//! shutdown. It reads the registry
//! and never writes its state; it never drives a backend connection itself: admission,
//! time limits, cancellation and the relay back belong to `backends::BackendHandle`.
//!
//! Protocol eras and their trade-offs are described in `README.md` beside this file.

mod disclosure;
mod errors;
mod gateway_tools;
mod handler;
mod http;
mod notify;
mod session;
mod unix;

use std::sync::Arc;

use rmcp::model::Tool;
use std::path::PathBuf;

use tokio::net::{TcpListener, UnixListener};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::GatewaySettings;
use crate::registry::{Registry, Route};

impl Gateway {
    /// The backend and original URI for a resource URI a client named.
    fn resource_route(&self, uri: &str) -> Result<Route, rmcp::ErrorData> {
        let catalog = self.registry.catalog();
        catalog.resource(uri).ok_or_else(|| match catalog.withdrawn(uri) {
            Some(route) => errors::unavailable(&route.backend),
            None => rmcp::ErrorData::resource_not_found(
                format!("no backend serves resource `{uri}`; list resources and templates to see what exists"),
                None,
            ),
        })
    }
}

/// The gateway's own tools' definitions, as clients see them.
pub fn tool_definitions() -> Vec<Tool> {
    gateway_tools::definitions()
}

/// Tool names the gateway serves itself; backends may not expose these.
pub const GATEWAY_TOOLS: [&str; 2] = [gateway_tools::HEALTH, gateway_tools::LIST_BACKENDS];

/// State shared by every client session.
pub struct Gateway {
    registry: Arc<Registry>,
    settings: GatewaySettings,
    sessions: session::Sessions,
    /// The gateway tools' definitions, built once.
    tools: Vec<Tool>,
    /// Fires when the daemon starts shutting down: no new sessions or requests; those in
    /// flight finish.
    draining: CancellationToken,
    /// Fires when the drain's grace is over: requests still in flight are cancelled at
    /// their backends and answered with an error, while sessions can still carry it.
    cutoff: CancellationToken,
    /// Fires when the drain is over: sessions end.
    stopping: CancellationToken,
}

impl Gateway {
    /// `draining` fires when the daemon is asked to stop, `stopping` once requests in
    /// flight have finished (or the grace ran out).
    pub fn new(
        registry: Arc<Registry>,
        settings: GatewaySettings,
        draining: CancellationToken,
        stopping: CancellationToken,
    ) -> Arc<Self> {
        Arc::new(Self {
            registry,
            settings,
            sessions: session::Sessions::default(),
            tools: gateway_tools::definitions(),
            draining,
            cutoff: CancellationToken::new(),
            stopping,
        })
    }

    /// Cancels every request still in flight (the drain's grace is over): each backend is
    /// told, each client gets a "shutting down" error.
    pub fn cut_off(&self) {
        self.cutoff.cancel();
    }

    /// Serves MCP over HTTP on `listener` and pushes catalog changes to clients, until
    /// `stopping`. Both tasks are tracked on `tracker`.
    pub fn spawn(self: &Arc<Self>, listener: TcpListener, tracker: &TaskTracker) {
        tracker.spawn(notify::fan_out(self.clone(), self.stopping.child_token()));
        tracker.spawn(http::serve(
            listener,
            self.clone(),
            self.stopping.child_token(),
        ));
    }

    /// Serves MCP on the local socket at `path`: new connections until `draining`, open
    /// sessions until `stopping`.
    pub fn spawn_local(
        self: &Arc<Self>,
        listener: UnixListener,
        path: PathBuf,
        owned: bool,
        tracker: &TaskTracker,
    ) {
        tracker.spawn(unix::serve(listener, path, owned, self.clone()));
    }

    /// Requests in flight or queued at backends, in all.
    pub fn in_flight(&self) -> usize {
        self.registry
            .entries()
            .iter()
            .map(|e| e.handle().load().in_flight() + e.handle().load().queued())
            .sum()
    }
}
