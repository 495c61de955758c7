//! The gateway's MCP client side towards one backend: what it declares in `initialize`,
//! and what it does with what the backend sends. Requests from the backend (sampling,
//! elicitation, roots, custom) are relayed to the client whose request the backend is
//! serving; progress goes back under the client's own token; log messages go to the
//! client whose request they belong to (see `relay`), or to the daemon's log only;
//! list changes re-list.

// Sampling, roots and logging are deprecated by SEP-2577, but backends still use them.
#![allow(deprecated)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::ErrorData as McpError;
use rmcp::model::{
    ClientCapabilities, ClientConfig, ClientResult, GetExtensions, Implementation,
    LoggingMessageNotification, LoggingMessageNotificationParam, Notification,
    NotificationMetaObject, ProgressNotificationParam, ProgressToken, ProtocolVersion,
    ServerNotification, ServerRequest,
};
use rmcp::service::{
    InboundStreamOrigin, NotificationContext, OriginatingRequestId, RequestContext, RoleClient,
    Service,
};
use serde_json::json;
use tokio::sync::mpsc;

use super::relay::{InFlight, Notice, Relay, Unrouted, wants};
use crate::error_codes::NOT_RELAYED;
use crate::log_ring::Throttle;

/// Something the backend told us that its lifecycle task must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BackendEvent {
    /// Tools, prompts or resources changed: list them again.
    ListChanged,
}

/// The `_meta` key by which a log message names the request it belongs to.
const PROGRESS_TOKEN: &str = "progressToken";

/// How long relaying one notification may hold up reading the backend's next message.
const RELAY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Log messages that reach no client written to the daemon's log per backend connection
/// in a burst, before the rest of the window is only counted.
const UNROUTED_LOG_BURST: u32 = 50;
const UNROUTED_LOG_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub(super) struct BackendClient {
    relay: Arc<Relay>,
    events: mpsc::Sender<BackendEvent>,
    /// Keeps a backend that logs when nobody is listening from flooding the daemon's log.
    unrouted: Arc<Mutex<Throttle>>,
}

impl BackendClient {
    pub fn new(relay: Arc<Relay>, events: mpsc::Sender<BackendEvent>) -> Self {
        Self {
            relay,
            events,
            unrouted: Arc::new(Mutex::new(Throttle::new(
                UNROUTED_LOG_BURST,
                UNROUTED_LOG_WINDOW,
            ))),
        }
    }

    fn backend(&self) -> &str {
        self.relay.backend()
    }

    /// The backend sent something: it is alive.
    pub(super) fn heard(&self) {
        self.relay.heard();
    }

    /// Sends a backend's request to the client whose request it serves, and returns the
    /// client's answer.
    async fn relay_request(
        &self,
        mut request: ServerRequest,
        context: RequestContext<RoleClient>,
    ) -> Result<ClientResult, McpError> {
        let origin = match context.extensions.get::<InboundStreamOrigin>() {
            Some(InboundStreamOrigin::OutboundRequest(id)) => Some(id.clone()),
            _ => None,
        };
        let kind = request_kind(&request);
        let target = self.relay.find(origin.as_ref()).await.map_err(|why| {
            McpError::new(
                NOT_RELAYED,
                format!("the gateway cannot pass this {kind} request to a client: {why}"),
                None,
            )
        })?;
        if target
            .protocol
            .as_ref()
            .is_some_and(|v| *v >= ProtocolVersion::V_2026_07_28)
        {
            return Err(McpError::new(
                NOT_RELAYED,
                format!(
                    "the client whose request this serves speaks protocol {}, which has no server-to-client requests",
                    ProtocolVersion::V_2026_07_28
                ),
                None,
            ));
        }
        if target.stateless {
            return Err(McpError::new(
                NOT_RELAYED,
                format!(
                    "the gateway runs stateless (`[gateway] stateless = true`), so the client's answer to this {kind} request could not reach the waiting call; sampling, elicitation and roots need session mode"
                ),
                None,
            ));
        }
        if let Some(missing) = missing_capability(&target, &request) {
            return Err(McpError::new(
                NOT_RELAYED,
                format!(
                    "the client whose request this serves did not declare the `{missing}` capability"
                ),
                Some(json!({ "capability": missing })),
            ));
        }
        // Keep the backend's _meta; drop what described the backend hop, and mark the
        // request as part of the client's, so it rides that request's response stream.
        let meta = request
            .extensions()
            .get::<rmcp::model::RequestMetaObject>()
            .cloned();
        let extensions = request.extensions_mut();
        *extensions = Default::default();
        if let Some(meta) = meta {
            extensions.insert(meta);
        }
        extensions.insert(OriginatingRequestId(target.client_request.clone()));

        let client = target.client.clone();
        tokio::select! {
            answer = client.send_request(request) => answer.map_err(|e| match e {
                rmcp::service::ServiceError::McpError(error) => error,
                other => McpError::new(NOT_RELAYED, format!("the client did not answer the {kind} request: {other}"), None),
            }),
            // The backend gave up on its request (notifications/cancelled).
            _ = context.ct.cancelled() => Err(McpError::new(NOT_RELAYED, format!("{kind} request cancelled by the backend"), None)),
        }
    }

    /// Passes a backend's progress to the client whose request it reports, under the
    /// client's own token. Called in order by the transport (see `ordered`).
    pub(super) async fn progress(&self, mut params: ProgressNotificationParam) {
        let Some(target) = self.relay.by_progress(&params.progress_token).await else {
            tracing::debug!(backend = %self.backend(), "progress for no request in flight; dropped");
            return;
        };
        // The request is moving: its idle timer starts over.
        target.progressed.notify_one();
        // Only clients that asked for progress (gave a token) get it, under their token.
        let Some(token) = target.client_progress.clone() else {
            return;
        };
        params.progress_token = token;
        match tokio::time::timeout(RELAY_TIMEOUT, target.client.notify_progress(params)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!(backend = %self.backend(), "progress could not be passed on: {e}")
            }
            Err(_) => {
                tracing::debug!(backend = %self.backend(), "progress dropped: the client did not take it within {RELAY_TIMEOUT:?}")
            }
        }
    }

    /// Passes a backend's log message to the client whose request it belongs to, if that
    /// client asked for messages at its level; one that belongs to no client goes to the
    /// daemon's log only (see `relay`). Called in order by the transport.
    pub(super) async fn log(&self, log: LoggingMessageNotification) {
        let Notification {
            params: mut message,
            extensions,
            ..
        } = log;
        // rmcp keeps a notification's `_meta` beside its params; either may hold it.
        let mut meta = message.meta.take().unwrap_or_default();
        if let Some(outer) = extensions.get::<NotificationMetaObject>() {
            meta.extend(outer.clone());
        }
        let token = meta
            .get(PROGRESS_TOKEN)
            .and_then(|token| serde_json::from_value::<ProgressToken>(token.clone()).ok());
        let target = match self.relay.log_owner(token.as_ref()).await {
            Ok(target) => target,
            Err(why) => return self.unrouted(&message, &why),
        };
        daemon_log(self.backend(), &message, "");
        if !wants(target.log_level, message.level) {
            return;
        }
        // The backend's token means nothing to the client: its own instead, or none.
        if meta.remove(PROGRESS_TOKEN).is_some()
            && let Some(own) = &target.client_progress
            && let Ok(own) = serde_json::to_value(own)
        {
            meta.insert(PROGRESS_TOKEN.to_owned(), own);
        }
        let mut notification = LoggingMessageNotification::new(message);
        if !meta.is_empty() {
            notification.extensions.insert(meta);
        }
        let sent = tokio::time::timeout(
            RELAY_TIMEOUT,
            target
                .client
                .send_notification(ServerNotification::LoggingMessageNotification(notification)),
        )
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            tracing::debug!(backend = %self.backend(), "a log message could not be passed on to its client");
        }
    }

    /// A log message no client gets: to the daemon's log, throttled.
    fn unrouted(&self, message: &LoggingMessageNotificationParam, why: &Unrouted) {
        let admitted = self
            .unrouted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .admit();
        let Some(held_back) = admitted else { return };
        let more = if held_back > 0 {
            format!("; {held_back} earlier such messages were not logged")
        } else {
            String::new()
        };
        daemon_log(
            self.backend(),
            message,
            &format!(" (passed to no client: {why}{more})"),
        );
    }
}

impl Service<RoleClient> for BackendClient {
    async fn handle_request(
        &self,
        request: ServerRequest,
        context: RequestContext<RoleClient>,
    ) -> Result<ClientResult, McpError> {
        match request {
            ServerRequest::PingRequest(_) => Ok(ClientResult::empty(())),
            request => self.relay_request(request, context).await,
        }
    }

    async fn handle_notification(
        &self,
        notification: ServerNotification,
        _context: NotificationContext<RoleClient>,
    ) -> Result<(), McpError> {
        match notification {
            ServerNotification::ToolListChangedNotification(_)
            | ServerNotification::PromptListChangedNotification(_)
            | ServerNotification::ResourceListChangedNotification(_) => {
                // A full channel already holds a pending re-list; one is enough.
                let _ = self.events.try_send(BackendEvent::ListChanged);
            }
            // Progress and log messages are relayed in order by the transport (`ordered`).
            ServerNotification::ResourceUpdatedNotification(updated) => {
                self.relay.notice(Notice::ResourceUpdated {
                    backend: self.backend().to_owned(),
                    uri: updated.params.uri,
                })
            }
            other => {
                tracing::debug!(backend = %self.backend(), "backend notification not passed on: {other:?}")
            }
        }
        Ok(())
    }

    fn get_info(&self) -> ClientConfig {
        // Declared so backends may ask; each request is relayed only to a client that
        // declared the same capability.
        let capabilities = ClientCapabilities::builder()
            .enable_roots()
            .enable_roots_list_changed()
            .enable_sampling()
            .enable_elicitation()
            .build();
        ClientConfig::new(
            capabilities,
            Implementation::new("ocimcpd", env!("CARGO_PKG_VERSION")),
        )
    }
}

fn request_kind(request: &ServerRequest) -> &'static str {
    match request {
        ServerRequest::CreateMessageRequest(_) => "sampling/createMessage",
        ServerRequest::ElicitRequest(_) => "elicitation/create",
        ServerRequest::ListRootsRequest(_) => "roots/list",
        ServerRequest::PingRequest(_) => "ping",
        _ => "custom",
    }
}

/// The capability the target client lacks for `request`, if any.
fn missing_capability(target: &InFlight, request: &ServerRequest) -> Option<&'static str> {
    let has =
        |pick: fn(&ClientCapabilities) -> bool| target.capabilities.as_ref().is_some_and(pick);
    match request {
        ServerRequest::CreateMessageRequest(_) if !has(|c| c.sampling.is_some()) => {
            Some("sampling")
        }
        ServerRequest::ElicitRequest(_) if !has(|c| c.elicitation.is_some()) => Some("elicitation"),
        ServerRequest::ListRootsRequest(_) if !has(|c| c.roots.is_some()) => Some("roots"),
        _ => None,
    }
}

/// Longest backend log message data written to the daemon log; the client gets it whole.
const MAX_LOGGED_DATA: usize = 4096;

/// Backend log messages also go to the daemon's own log; `note` follows "backend log".
fn daemon_log(backend: &str, message: &LoggingMessageNotificationParam, note: &str) {
    use rmcp::model::LoggingLevel;
    let logger = message.logger.as_deref().unwrap_or("");
    let mut data = message.data.to_string();
    if data.len() > MAX_LOGGED_DATA {
        let cut = (0..=MAX_LOGGED_DATA)
            .rev()
            .find(|i| data.is_char_boundary(*i))
            .unwrap_or(0);
        data.truncate(cut);
        data.push_str(" …[truncated]");
    }
    match message.level {
        LoggingLevel::Debug => tracing::debug!(backend, logger, %data, "backend log{note}"),
        LoggingLevel::Info | LoggingLevel::Notice => {
            tracing::info!(backend, logger, %data, "backend log{note}")
        }
        LoggingLevel::Warning => tracing::warn!(backend, logger, %data, "backend log{note}"),
        _ => tracing::error!(backend, logger, %data, "backend log{note}"),
    }
}
