//! Catalog changes reach clients as `notifications/*/list_changed`: pushed to every
//! initialized session (2025 protocol era), and through `subscriptions/listen` streams
//! (2026-07-28, which has no sessions).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::service::{Peer, RoleServer, SubscriptionContext};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::registry::{ListChanged, Registry};

/// How long one session may take to accept a list_changed notification.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// The peers of initialized sessions; closed ones are pruned as changes go out.
#[derive(Default)]
pub struct Sessions {
    peers: Mutex<Vec<Peer<RoleServer>>>,
}

impl Sessions {
    pub fn add(&self, peer: Peer<RoleServer>) {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers.retain(|p| !p.is_transport_closed());
        peers.push(peer);
    }

    fn open_peers(&self) -> Vec<Peer<RoleServer>> {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers.retain(|p| !p.is_transport_closed());
        peers.clone()
    }

    /// Sends to every session at once, each with its own time limit, so a client that does
    /// not read its stream cannot hold up the others. A peer that went away is pruned on
    /// the next change.
    fn notify(&self, changed: ListChanged) {
        for peer in self.open_peers() {
            tokio::spawn(async move {
                let send = async {
                    if changed.tools {
                        peer.notify_tool_list_changed().await?;
                    }
                    if changed.prompts {
                        peer.notify_prompt_list_changed().await?;
                    }
                    if changed.resources {
                        peer.notify_resource_list_changed().await?;
                    }
                    Ok::<(), rmcp::service::ServiceError>(())
                };
                let _ = tokio::time::timeout(SEND_TIMEOUT, send).await;
            });
        }
    }
}

/// Forwards catalog changes to session peers until `shutdown`.
pub async fn fan_out(
    registry: Arc<Registry>,
    sessions: Arc<Sessions>,
    shutdown: CancellationToken,
) {
    let mut changes = registry.subscribe();
    loop {
        let changed = tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = changes.recv() => changed,
        };
        match changed {
            Ok(changed) => sessions.notify(changed),
            // Missed some: say everything changed, clients re-list.
            Err(RecvError::Lagged(_)) => sessions.notify(ListChanged::ALL),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Serves one `subscriptions/listen` stream until the client cancels it.
pub async fn listen(registry: &Registry, subscription: SubscriptionContext) {
    let mut changes = registry.subscribe();
    let sink = subscription.sink().clone();
    loop {
        let changed = tokio::select! {
            _ = subscription.cancelled() => return,
            changed = changes.recv() => match changed {
                Ok(changed) => changed,
                Err(RecvError::Lagged(_)) => ListChanged::ALL,
                Err(RecvError::Closed) => return,
            },
        };
        // The sink drops categories the client did not ask for.
        let sent = async {
            if changed.tools {
                sink.notify_tool_list_changed().await?;
            }
            if changed.prompts {
                sink.notify_prompt_list_changed().await?;
            }
            if changed.resources {
                sink.notify_resource_list_changed().await?;
            }
            Ok::<(), rmcp::service::SubscriptionSendError>(())
        };
        if sent.await.is_err() {
            return;
        }
    }
}
