//! What the gateway tells clients unasked: catalog changes (`notifications/*/list_changed`)
//! and resource updates (to sessions subscribed to the resource). Backend log messages are
//! not among them: each goes to the client whose request it belongs to, or to nobody
//! (`backends::relay`). After a backend restarts, the
//! subscriptions clients hold at it are made again on its new connection. Session-era clients get them
//! through their session peers; 2026-07-28 clients, which have no sessions, through their
//! `subscriptions/listen` streams.

// Logging and resources/subscribe are deprecated by SEP-2577 but still in the protocol.
#![allow(deprecated)]

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::service::{Peer, RoleServer, ServiceError, SubscriptionContext, SubscriptionSendError};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::Gateway;
use super::session::ClientSession;
use crate::backends::Notice;
use crate::registry::{ListChanged, exposed_uri};

/// How long one session may take to accept a notification.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Delivers catalog changes and backend notices to sessions until `shutdown`.
pub async fn fan_out(gateway: Arc<Gateway>, shutdown: CancellationToken) {
    let mut changes = gateway.registry.subscribe();
    let mut notices = gateway.registry.notices();
    let mut connections = gateway.registry.connections();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            connected = connections.recv() => match connected {
                Ok(backend) => resubscribe(&gateway, &backend),
                // Missed some: make every backend's subscriptions again.
                Err(RecvError::Lagged(_)) => {
                    for entry in gateway.registry.entries().iter() {
                        resubscribe(&gateway, entry.name());
                    }
                }
                Err(RecvError::Closed) => return,
            },
            changed = changes.recv() => match changed {
                Ok(changed) => list_changed(&gateway, changed),
                // Missed some: say everything changed, clients re-list.
                Err(RecvError::Lagged(_)) => list_changed(&gateway, ListChanged::ALL),
                Err(RecvError::Closed) => return,
            },
            notice = notices.recv() => match notice {
                Ok(notice) => deliver(&gateway, notice),
                Err(RecvError::Lagged(missed)) => tracing::warn!("{missed} resource updates were dropped: clients read too slowly"),
                Err(RecvError::Closed) => return,
            },
        }
    }
}

fn list_changed(gateway: &Gateway, changed: ListChanged) {
    for session in open_sessions(gateway) {
        send(&session, move |peer| async move {
            if changed.tools {
                peer.notify_tool_list_changed().await?;
            }
            if changed.prompts {
                peer.notify_prompt_list_changed().await?;
            }
            if changed.resources {
                peer.notify_resource_list_changed().await?;
            }
            Ok(())
        });
    }
}

fn deliver(gateway: &Gateway, notice: Notice) {
    match notice {
        Notice::ResourceUpdated { backend, uri } => {
            let Some(exposed) = exposed_for(gateway, &backend, &uri) else {
                return;
            };
            for session in open_sessions(gateway)
                .into_iter()
                .filter(|s| s.is_subscribed(&exposed))
            {
                let params = ResourceUpdatedNotificationParam::new(exposed.clone());
                send(&session, move |peer| async move {
                    peer.notify_resource_updated(params).await
                });
            }
        }
    }
}

/// Makes the subscriptions clients hold at `backend` again, on its new connection, so a
/// restart does not silently end their resource updates.
fn resubscribe(gateway: &Gateway, backend: &str) {
    let uris = gateway.sessions.held_at(backend);
    if uris.is_empty() {
        return;
    }
    let Some(connection) = gateway
        .registry
        .entry(backend)
        .and_then(|entry| entry.connection())
    else {
        return;
    };
    let backend = backend.to_owned();
    tokio::spawn(async move {
        for uri in uris {
            match tokio::time::timeout(SEND_TIMEOUT, connection.subscribe(&uri)).await {
                Ok(Ok(())) => {
                    tracing::debug!(backend = %backend, "resource subscription `{uri}` made again after a restart")
                }
                Ok(Err(e)) => {
                    tracing::warn!(backend = %backend, "resources/subscribe for `{uri}` after a restart failed: {e}")
                }
                Err(_) => {
                    tracing::warn!(backend = %backend, "resources/subscribe for `{uri}` after a restart got no answer within {SEND_TIMEOUT:?}")
                }
            }
        }
    });
}

/// The backend URI as clients know it.
fn exposed_for(gateway: &Gateway, backend: &str, uri: &str) -> Option<String> {
    let entry = gateway.registry.entry(backend)?;
    Some(exposed_uri(&entry.spec().namespace, uri))
}

/// The open sessions; subscriptions of sessions that closed are released at their backends.
fn open_sessions(gateway: &Gateway) -> Vec<Arc<ClientSession>> {
    let (open, closed) = gateway.sessions.open();
    for session in closed {
        for uri in session.take_subscriptions() {
            release_upstream(gateway, &uri);
        }
    }
    open
}

/// One subscriber fewer for an exposed URI; the last one unsubscribes at the backend.
fn release_upstream(gateway: &Gateway, exposed: &str) {
    // A quarantined backend's resources are out of the catalog, but still counted.
    let route = match gateway.resource_route(exposed) {
        Ok(route) => route,
        Err(_) => match gateway.registry.catalog().withdrawn(exposed) {
            Some(route) => route.clone(),
            None => return,
        },
    };
    if !gateway
        .sessions
        .release(route.backend.name(), &route.original)
    {
        return;
    }
    let Some(connection) = route.backend.connection() else {
        return;
    };
    tokio::spawn(async move {
        let _ = tokio::time::timeout(SEND_TIMEOUT, connection.unsubscribe(&route.original)).await;
    });
}

/// Sends to one session in a task of its own with a time limit, so a client that does not
/// read its stream cannot hold up the others.
fn send<F, Fut>(session: &ClientSession, notify: F)
where
    F: FnOnce(Peer<RoleServer>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), ServiceError>> + Send,
{
    let Some(peer) = session.peer().cloned() else {
        return;
    };
    tokio::spawn(async move {
        let _ = tokio::time::timeout(SEND_TIMEOUT, notify(peer)).await;
    });
}

/// Serves one `subscriptions/listen` stream (2026-07-28) until the client cancels it:
/// catalog changes, and updates of the resources it listed (held at their backends while
/// the stream is open).
pub async fn listen(gateway: &Arc<Gateway>, subscription: SubscriptionContext) {
    let mut changes = gateway.registry.subscribe();
    let mut notices = gateway.registry.notices();
    let sink = subscription.sink().clone();
    let resources: Vec<String> = subscription
        .accepted()
        .resource_subscriptions
        .clone()
        .unwrap_or_default();
    let mut held = Vec::new();
    for uri in &resources {
        if let Ok(route) = gateway.resource_route(uri) {
            hold_upstream(gateway, &route.backend, &route.original).await;
            held.push(uri.clone());
        }
    }
    loop {
        let sent = tokio::select! {
            _ = subscription.cancelled() => break,
            changed = changes.recv() => {
                let changed = match changed {
                    Ok(changed) => changed,
                    Err(RecvError::Lagged(_)) => ListChanged::ALL,
                    Err(RecvError::Closed) => break,
                };
                async {
                    if changed.tools {
                        sink.notify_tool_list_changed().await?;
                    }
                    if changed.prompts {
                        sink.notify_prompt_list_changed().await?;
                    }
                    if changed.resources {
                        sink.notify_resource_list_changed().await?;
                    }
                    Ok::<(), SubscriptionSendError>(())
                }
                .await
            }
            notice = notices.recv() => match notice {
                Ok(Notice::ResourceUpdated { backend, uri }) => match exposed_for(gateway, &backend, &uri) {
                    // The sink drops URIs the stream did not subscribe to.
                    Some(exposed) if resources.contains(&exposed) => sink.notify_resource_updated(exposed).await,
                    _ => Ok(()),
                },
                Err(RecvError::Lagged(_)) => Ok(()),
                Err(RecvError::Closed) => break,
            },
        };
        if sent.is_err() {
            break;
        }
    }
    for uri in held {
        release_upstream(gateway, &uri);
    }
}

/// One subscriber more for a backend resource; the first one subscribes at the backend.
async fn hold_upstream(gateway: &Gateway, backend: &crate::registry::BackendEntry, original: &str) {
    if !gateway.sessions.hold(backend.name(), original) {
        return;
    }
    let Some(connection) = backend.connection() else {
        return;
    };
    match tokio::time::timeout(SEND_TIMEOUT, connection.subscribe(original)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(backend = %backend.name(), "resources/subscribe for `{original}` failed: {e}")
        }
        Err(_) => {
            tracing::warn!(backend = %backend.name(), "resources/subscribe for `{original}` got no answer within {SEND_TIMEOUT:?}")
        }
    }
}
