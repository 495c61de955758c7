//! The gateway's MCP client side towards one backend: what it declares in `initialize`,
//! and the backend notifications it acts on.

// Logging notifications are deprecated by SEP-2577, but backends still send them.
#![allow(deprecated)]

use rmcp::ClientHandler;
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, LoggingLevel, LoggingMessageNotificationParam,
};
use rmcp::service::{NotificationContext, RoleClient};
use tokio::sync::mpsc;

/// Something the backend told us that its lifecycle task must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BackendEvent {
    /// Tools, prompts or resources changed: list them again.
    ListChanged,
}

#[derive(Debug, Clone)]
pub(super) struct BackendClient {
    backend: String,
    events: mpsc::Sender<BackendEvent>,
}

impl BackendClient {
    pub fn new(backend: &str, events: mpsc::Sender<BackendEvent>) -> Self {
        Self {
            backend: backend.to_owned(),
            events,
        }
    }

    fn list_changed(&self) {
        // A full channel already holds a pending re-list; one is enough.
        let _ = self.events.try_send(BackendEvent::ListChanged);
    }
}

impl ClientHandler for BackendClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("ocimcpd", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.list_changed();
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.list_changed();
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.list_changed();
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let logger = params.logger.as_deref().unwrap_or("");
        let data = &params.data;
        match params.level {
            LoggingLevel::Debug => {
                tracing::debug!(backend = %self.backend, logger, %data, "backend log")
            }
            LoggingLevel::Info | LoggingLevel::Notice => {
                tracing::info!(backend = %self.backend, logger, %data, "backend log")
            }
            LoggingLevel::Warning => {
                tracing::warn!(backend = %self.backend, logger, %data, "backend log")
            }
            _ => tracing::error!(backend = %self.backend, logger, %data, "backend log"),
        }
    }
}
