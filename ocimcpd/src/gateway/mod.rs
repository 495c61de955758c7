//! The MCP front: owns the rmcp server handler (routing by the registry's catalog, and
//! registering each forwarded request with its backend's relay), client sessions (log
//! levels, resource subscriptions held upstream), the gateway's own tools, what clients are
//! told unasked (list changes, backend log messages, resource updates), the HTTP
//! listener with its health endpoints, and the local MCP socket. It reads the registry and never writes it; its one
//! signal back is `BackendEntry::suspect`, a hint the backend's lifecycle task acts on.
//!
//! Protocol eras and their trade-offs are described in `README.md` beside this file.

mod errors;
mod handler;
mod http;
mod notify;
mod session;
mod tools;
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
        self.registry.catalog().resource(uri).ok_or_else(|| {
            rmcp::ErrorData::resource_not_found(
                format!("no backend serves resource `{uri}`; list resources and templates to see what exists"),
                None,
            )
        })
    }
}

/// The gateway's own tools' definitions, as clients see them.
pub fn tool_definitions() -> Vec<Tool> {
    tools::definitions()
}

/// Tool names the gateway serves itself; backends may not expose these.
pub const GATEWAY_TOOLS: [&str; 2] = [tools::HEALTH, tools::LIST_BACKENDS];

/// State shared by every client session.
pub struct Gateway {
    registry: Arc<Registry>,
    settings: GatewaySettings,
    sessions: session::Sessions,
    /// The gateway tools' definitions, built once.
    tools: Vec<Tool>,
    /// Fires when the daemon starts shutting down.
    stopping: CancellationToken,
}

impl Gateway {
    /// `stopping` is the daemon's shutdown signal.
    pub fn new(
        registry: Arc<Registry>,
        settings: GatewaySettings,
        stopping: CancellationToken,
    ) -> Arc<Self> {
        Arc::new(Self {
            registry,
            settings,
            sessions: session::Sessions::default(),
            tools: tools::definitions(),
            stopping,
        })
    }

    /// Serves MCP over HTTP on `listener` and pushes catalog changes to clients, until
    /// `shutdown`. Both tasks are tracked on `tracker`.
    pub fn spawn(
        self: &Arc<Self>,
        listener: TcpListener,
        tracker: &TaskTracker,
        shutdown: &CancellationToken,
    ) {
        tracker.spawn(notify::fan_out(self.clone(), shutdown.child_token()));
        tracker.spawn(http::serve(listener, self.clone(), shutdown.child_token()));
    }

    /// Serves MCP on the local socket at `path` until `shutdown`.
    pub fn spawn_local(
        self: &Arc<Self>,
        listener: UnixListener,
        path: PathBuf,
        tracker: &TaskTracker,
        shutdown: &CancellationToken,
    ) {
        tracker.spawn(unix::serve(
            listener,
            path,
            self.clone(),
            shutdown.child_token(),
        ));
    }
}
