//! The MCP socket (`<runtime_dir>/mcp.sock`): the same MCP endpoint as HTTP, as
//! newline-delimited JSON-RPC over a local stream (what `ocimcpctl bridge` relays for
//! desktop clients). Every connection is one session; the peer's credentials decide
//! whether it may connect at all.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rmcp::ServiceExt;
use rmcp::service::RoleServer;
use tokio::net::UnixListener;
use tokio_util::task::TaskTracker;

use super::Gateway;
use super::handler::GatewaySession;
use super::session::lock;
use crate::jsonl::{self, JsonLines};
use crate::local_socket;

/// Accepts sessions until the gateway drains (new connections are then refused: the
/// socket stops listening), and ends the open ones when it stops.
pub async fn serve(listener: UnixListener, path: PathBuf, owned: bool, gateway: Arc<Gateway>) {
    let sessions = TaskTracker::new();
    let per_user: Arc<Mutex<HashMap<u32, usize>>> = Arc::default();
    loop {
        let (stream, peer) = tokio::select! {
            _ = gateway.draining.cancelled() => break,
            next = local_socket::accept(&listener, &path, "MCP socket") => next,
        };
        let open: usize = sessions.len();
        let mine = lock(&per_user).get(&peer.uid).copied().unwrap_or(0);
        let settings = &gateway.settings;
        if open >= settings.max_sessions || mine >= settings.max_sessions_per_client {
            let why = if open >= settings.max_sessions {
                format!(
                    "{open} sessions are open ([gateway] max_sessions = {})",
                    settings.max_sessions
                )
            } else {
                format!(
                    "user {} has {mine} sessions open ([gateway] max_sessions_per_client = {})",
                    peer.uid, settings.max_sessions_per_client
                )
            };
            tracing::warn!(uid = peer.uid, "MCP socket connection refused: {why}");
            local_socket::refuse(
                stream,
                format!("ocimcpd refused the session: {why}; close idle sessions and retry"),
            );
            continue;
        }
        tracing::debug!(uid = peer.uid, pid = peer.pid, "MCP socket session opened");
        *lock(&per_user).entry(peer.uid).or_default() += 1;
        let session = GatewaySession::new(gateway.clone());
        let ct = gateway.stopping.child_token();
        let (read, write) = stream.into_split();
        let transport = JsonLines::<RoleServer, _, _>::new(
            read,
            write,
            settings.max_request_bytes,
            jsonl::Peer {
                who: format!("mcp.sock client (uid {})", peer.uid),
                setting: "[gateway] max_request_bytes",
            },
        );
        let per_user = per_user.clone();
        sessions.spawn(async move {
            let _counted = Counted {
                per_user,
                uid: peer.uid,
            };
            match session.serve_with_ct(transport, ct).await {
                Ok(running) => {
                    let _ = running.waiting().await;
                }
                Err(e) => {
                    tracing::debug!(uid = peer.uid, "MCP socket session did not initialize: {e}")
                }
            }
        });
    }
    drop(listener);
    // A socket the service manager passed stays: it is the manager's to remove.
    if owned {
        let _ = std::fs::remove_file(&path);
    }
    sessions.close();
    sessions.wait().await;
}

/// Counts one open session of a user while it lives.
struct Counted {
    per_user: Arc<Mutex<HashMap<u32, usize>>>,
    uid: u32,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut per_user = lock(&self.per_user);
        if let Some(count) = per_user.get_mut(&self.uid) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                per_user.remove(&self.uid);
            }
        }
    }
}
