//! A transport wrapper that keeps a backend's messages in order where order matters to
//! clients. rmcp handles each incoming notification in a task of its own, so a progress
//! notification could reach the client after the result it precedes, and clients drop
//! progress that arrives after the result. Here progress and log notifications are
//! relayed to their client as they are read, before the next message (the result, say)
//! goes on to rmcp.

use std::future::Future;

use rmcp::model::{JsonRpcMessage, JsonRpcNotification, ServerNotification};
use rmcp::service::{RoleClient, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;

use super::client::BackendClient;

pub(super) struct InOrder<T> {
    inner: T,
    client: BackendClient,
}

impl<T> InOrder<T> {
    pub fn new(inner: T, client: BackendClient) -> Self {
        Self { inner, client }
    }
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for InOrder<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        loop {
            let message = self.inner.receive().await?;
            self.client.heard();
            match message {
                JsonRpcMessage::Notification(JsonRpcNotification {
                    notification: ServerNotification::ProgressNotification(progress),
                    ..
                }) => self.client.progress(progress.params).await,
                JsonRpcMessage::Notification(JsonRpcNotification {
                    notification: ServerNotification::LoggingMessageNotification(log),
                    ..
                }) => self.client.log(log).await,
                other => return Some(other),
            }
        }
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}
