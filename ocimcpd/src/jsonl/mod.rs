//! Newline-delimited JSON-RPC over a byte stream, with a size limit per message: the
//! transport for stdio backends (the gateway is the client) and for `mcp.sock` (the
//! gateway is the server). Unlike a plain line codec it never lets a request hang on a
//! message it had to drop:
//!
//! - a message over the limit is skipped without being held in memory; if it answered a
//!   request (its `id` read by `Outline`), that request fails with an error saying how large it
//!   was and which setting limits it; if it was a request, its sender gets that error;
//! - a line that is not JSON is skipped and logged (throttled); if it carries a
//!   response's `id`, that request fails;
//! - well-formed JSON that is not a valid message fails the request it names, if any.

mod outline;

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::{JsonRpcError, JsonRpcMessage, RequestId};
use rmcp::service::{RxJsonRpcMessage, ServiceRole, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

use crate::config::describe_size;
use crate::log_ring::Throttle;
use outline::Outline;

use crate::error_codes::TOO_LARGE;

/// Characters of a bad line quoted in the log.
const QUOTE_CHARS: usize = 160;

/// Who is at the other end, and which setting limits what they send; for messages.
#[derive(Debug, Clone)]
pub struct Peer {
    /// "backend `name`", "an mcp.sock client".
    pub who: String,
    /// `limits.max_response_bytes`, `[gateway] max_request_bytes`.
    pub setting: &'static str,
}

pub struct JsonLines<Role, R, W> {
    reader: BufReader<R>,
    writer: Arc<Mutex<W>>,
    limit: usize,
    peer: Peer,
    line: Vec<u8>,
    /// The outline of an oversized message being skipped, and its size so far.
    skipping: Option<(Outline, usize)>,
    garbage: Throttle,
    _role: PhantomData<fn() -> Role>,
}

/// One read from the stream.
enum Read {
    /// A whole line is in `line`.
    Line,
    /// A line over the limit was skipped.
    Oversized {
        outline: Outline,
        bytes: usize,
    },
    Eof,
}

impl<Role, R, W> JsonLines<Role, R, W>
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send + 'static,
{
    pub fn new(read: R, write: W, limit: usize, peer: Peer) -> Self {
        Self {
            reader: BufReader::with_capacity(64 * 1024, read),
            writer: Arc::new(Mutex::new(write)),
            limit,
            peer,
            line: Vec::new(),
            skipping: None,
            garbage: Throttle::new(10, Duration::from_secs(60)),
            _role: PhantomData,
        }
    }

    /// Reads one line, keeping at most `limit` bytes of it. Cancel-safe: what was read
    /// stays in `self` for the next call.
    async fn read_line(&mut self) -> std::io::Result<Read> {
        loop {
            let available = self.reader.fill_buf().await?;
            if available.is_empty() {
                return Ok(Read::Eof);
            }
            let newline = available.iter().position(|&b| b == b'\n');
            let take = newline.map_or(available.len(), |i| i + 1);
            let chunk = &available[..take];
            if let Some((outline, bytes)) = self.skipping.as_mut() {
                outline.feed(chunk);
                *bytes += take;
            } else if self.line.len() + take > self.limit {
                let mut outline = Outline::default();
                outline.feed(&self.line);
                outline.feed(chunk);
                self.skipping = Some((outline, self.line.len() + take));
                self.line = Vec::new();
            } else {
                self.line.extend_from_slice(chunk);
            }
            self.reader.consume(take);
            if newline.is_some() {
                return Ok(match self.skipping.take() {
                    Some((outline, bytes)) => Read::Oversized { outline, bytes },
                    None => Read::Line,
                });
            }
        }
    }

    /// Writes one message and a newline.
    fn write<T: Serialize>(
        &self,
        message: &T,
    ) -> impl Future<Output = std::io::Result<()>> + Send + 'static + use<Role, R, W, T> {
        let bytes = serde_json::to_vec(message).map(|mut bytes| {
            bytes.push(b'\n');
            bytes
        });
        let writer = self.writer.clone();
        async move {
            let bytes = bytes.map_err(std::io::Error::other)?;
            let mut writer = writer.lock().await;
            writer.write_all(&bytes).await?;
            writer.flush().await
        }
    }

    fn too_large(&self, bytes: usize) -> ErrorData {
        ErrorData::new(
            TOO_LARGE,
            format!(
                "{} sent a message of {}, over the limit of {} ({}); it was dropped",
                self.peer.who,
                describe_size(bytes),
                describe_size(self.limit),
                self.peer.setting
            ),
            Some(serde_json::json!({ "bytes": bytes, "limit": self.limit })),
        )
    }

    fn log_garbage(&mut self, what: &str, line: &[u8]) {
        if let Some(held_back) = self.garbage.admit() {
            let text = String::from_utf8_lossy(line);
            let quote: String = text.chars().take(QUOTE_CHARS).collect();
            let more = if held_back > 0 {
                format!(" ({held_back} similar lines not logged)")
            } else {
                String::new()
            };
            tracing::warn!(peer = %self.peer.who, "{what}, skipped: {quote}{more}");
        }
    }

    /// The next message that parses, or one that had to be dropped.
    async fn next<T: DeserializeOwned>(&mut self) -> Next<T> {
        loop {
            let read = match self.read_line().await {
                Ok(read) => read,
                Err(e) => {
                    tracing::debug!(peer = %self.peer.who, "reading failed: {e}");
                    return Next::End;
                }
            };
            match read {
                Read::Eof => return Next::End,
                Read::Oversized { outline, bytes } => {
                    tracing::warn!(peer = %self.peer.who, "dropped a message of {} (limit {}, {})", describe_size(bytes), describe_size(self.limit), self.peer.setting);
                    let error = self.too_large(bytes);
                    return Next::Dropped { outline, error };
                }
                Read::Line => {
                    let line = std::mem::take(&mut self.line);
                    let text = trim(&line);
                    if text.is_empty() {
                        continue;
                    }
                    match serde_json::from_slice::<T>(text) {
                        Ok(message) => return Next::Message(message),
                        Err(e) if e.is_syntax() || e.is_eof() => {
                            let mut outline = Outline::default();
                            outline.feed(text);
                            self.log_garbage("not JSON", text);
                            // A broken answer (NaN, a cut line) still fails its request.
                            if outline.id().is_some() && outline.is_response() {
                                let error = ErrorData::internal_error(
                                    format!(
                                        "{} answered with a line that is not valid JSON: {e}",
                                        self.peer.who
                                    ),
                                    None,
                                );
                                return Next::Dropped { outline, error };
                            }
                        }
                        Err(e) => {
                            let mut outline = Outline::default();
                            outline.feed(text);
                            self.log_garbage(&format!("not a valid JSON-RPC message ({e})"), text);
                            let error = ErrorData::invalid_request(
                                format!("{} sent an invalid message: {e}", self.peer.who),
                                None,
                            );
                            return Next::Dropped { outline, error };
                        }
                    }
                }
            }
        }
    }
}

enum Next<T> {
    Message(T),
    /// A message that could not be handed on, and the error its request gets.
    Dropped {
        outline: Outline,
        error: ErrorData,
    },
    End,
}

fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

fn error_message<Req, Resp, Not>(
    id: RequestId,
    error: ErrorData,
) -> JsonRpcMessage<Req, Resp, Not> {
    JsonRpcMessage::Error(JsonRpcError::new(Some(id), error))
}

/// Answers the peer without holding up reading (`receive` may be cancelled mid-write).
fn answer<Role, R, W>(transport: &JsonLines<Role, R, W>, message: TxJsonRpcMessage<Role>)
where
    Role: ServiceRole,
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let write = transport.write(&message);
    let who = transport.peer.who.clone();
    tokio::spawn(async move {
        if let Err(e) = write.await {
            tracing::debug!(peer = %who, "answering a dropped message failed: {e}");
        }
    });
}

/// Either side: the gateway as the client of a stdio backend, or as the server of an
/// `mcp.sock` client. A dropped response fails the request it answers, as if the peer
/// had answered with the error; a dropped request is answered with it.
impl<Role, R, W> Transport<Role> for JsonLines<Role, R, W>
where
    Role: ServiceRole,
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<Role>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.write(&item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<Role>> {
        loop {
            match self.next().await {
                Next::Message(message) => return Some(message),
                Next::Dropped { outline, error } => {
                    // A notification: nothing waits on it.
                    let Some(id) = outline.id() else { continue };
                    if outline.is_response() {
                        return Some(error_message(id, error));
                    }
                    answer(self, error_message(id, error));
                }
                Next::End => return None,
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.writer.lock().await.shutdown().await
    }
}

#[cfg(test)]
mod tests;
