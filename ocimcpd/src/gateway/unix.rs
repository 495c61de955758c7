//! The MCP socket (`<runtime_dir>/mcp.sock`): the same MCP endpoint as HTTP, as
//! newline-delimited JSON-RPC over a local stream (what `ocimcpctl bridge` relays for
//! desktop clients). Every connection is one session; the peer's credentials decide
//! whether it may connect at all.

use std::path::PathBuf;
use std::sync::Arc;

use rmcp::ServiceExt;
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Gateway;
use super::handler::GatewaySession;
use crate::local_socket;

/// Accepts sessions until `shutdown`, then ends the open ones.
pub async fn serve(
    listener: UnixListener,
    path: PathBuf,
    gateway: Arc<Gateway>,
    shutdown: CancellationToken,
) {
    let sessions = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            next = local_socket::accept(&listener, &path, "MCP socket") => next,
        };
        tracing::debug!(uid = peer.uid, pid = peer.pid, "MCP socket session opened");
        let session = GatewaySession::new(gateway.clone());
        let ct = shutdown.child_token();
        sessions.spawn(async move {
            match session.serve_with_ct(stream, ct).await {
                Ok(running) => {
                    let _ = running.waiting().await;
                }
                Err(e) => {
                    tracing::debug!(uid = peer.uid, "MCP socket session did not initialize: {e}")
                }
            }
        });
    }
    sessions.close();
    sessions.wait().await;
}
