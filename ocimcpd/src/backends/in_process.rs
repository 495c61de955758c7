//! The daemon's own tool sets as backends: each is served on one end of an in-memory
//! channel of typed MCP messages and the backend connection takes the other, so a
//! built-in tool set is a backend like any other (same catalog, progress, cancellation
//! and health) without a message being written as JSON and parsed again on the way.
//!
//! Because messages cross as values, a request's extensions reach the tool set: the
//! gateway hands it the caller's token there ([`oci_tools::CallerToken`]), where no
//! process outside the daemon can see it.

use std::future::Future;

use rmcp::service::{RoleClient, RoleServer, RxJsonRpcMessage, ServiceRole, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::mpsc;

use crate::config::Builtin;

/// Messages buffered each way before a sender waits.
const CHANNEL_DEPTH: usize = 256;

/// The other end of the channel is gone (the tool set or the connection stopped).
#[derive(Debug, thiserror::Error)]
#[error("the in-process channel is closed")]
pub(super) struct ChannelClosed;

/// One end of an in-memory MCP connection for role `R`.
pub(super) struct Channel<R: ServiceRole> {
    tx: mpsc::Sender<TxJsonRpcMessage<R>>,
    rx: mpsc::Receiver<RxJsonRpcMessage<R>>,
}

/// Both ends of a connection: the gateway's (client) and the tool set's (server).
pub(super) fn channel() -> (Channel<RoleClient>, Channel<RoleServer>) {
    let (to_server, from_client) = mpsc::channel(CHANNEL_DEPTH);
    let (to_client, from_server) = mpsc::channel(CHANNEL_DEPTH);
    (
        Channel {
            tx: to_server,
            rx: from_server,
        },
        Channel {
            tx: to_client,
            rx: from_client,
        },
    )
}

impl<R: ServiceRole> Transport<R> for Channel<R> {
    type Error = ChannelClosed;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<R>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let tx = self.tx.clone();
        async move { tx.send(item).await.map_err(|_| ChannelClosed) }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<R>>> + Send {
        self.rx.recv()
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.rx.close();
        Ok(())
    }
}

/// Starts `builtin` on the server end; it runs until the connection drops its end.
pub(super) fn serve(builtin: &Builtin, name: &str, server_end: Channel<RoleServer>) {
    let name = name.to_owned();
    match builtin {
        Builtin::Oci(settings) => {
            let server = oci_tools::OciToolServer::new(settings.clone());
            server.find_credentials_now();
            tokio::spawn(async move {
                match rmcp::serve_server(server, server_end).await {
                    Ok(running) => {
                        let _ = running.waiting().await;
                    }
                    Err(e) => {
                        tracing::warn!(backend = %name, "built-in tool set did not start: {e}")
                    }
                }
            });
        }
    }
}
