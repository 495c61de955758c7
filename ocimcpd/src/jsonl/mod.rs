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
//!
//! What goes the other way waits in a bounded queue that one task per connection writes
//! out, so sending never waits for the peer to read. A peer that leaves more than
//! [`MAX_QUEUED_MESSAGES`] messages or [`MAX_QUEUED_BYTES`] unread (an `mcp.sock` client
//! that sends requests but never reads the answers, a stdio backend that stops reading its
//! stdin) is cut off: the send fails, reading ends, and the line logged names the peer and
//! the limit. The gateway then closes the client's session, or restarts the backend.

mod outline;

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::{JsonRpcError, JsonRpcMessage, RequestId};
use rmcp::service::{RxJsonRpcMessage, ServiceRole, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::describe_size;
use crate::log_ring::Throttle;
use outline::Outline;

use crate::error_codes::TOO_LARGE;

/// Characters of a bad line quoted in the log.
const QUOTE_CHARS: usize = 160;

/// Messages that may wait to be written to one peer; one more and the peer is cut off.
pub const MAX_QUEUED_MESSAGES: usize = 1024;

/// Bytes that may wait to be written to one peer; more and the peer is cut off. A single
/// message is queued whatever its size when nothing else waits.
pub const MAX_QUEUED_BYTES: usize = 64 << 20;

/// Lines written to the peer in one go, when several wait.
const BATCH_BYTES: usize = 64 * 1024;

/// How long the last messages may take to be written when the connection closes.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

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
    /// Whole lines for the writer task; `None` once closed.
    queue: Option<mpsc::Sender<Vec<u8>>>,
    /// Bytes queued or being written.
    queued_bytes: Arc<AtomicUsize>,
    /// The connection is over: the queue overflowed or a write failed. Reading ends too.
    broken: CancellationToken,
    /// Cancelled when the writer task has finished.
    written: CancellationToken,
    limit: usize,
    peer: Peer,
    line: Vec<u8>,
    /// The outline of an oversized message being skipped, and its size so far.
    skipping: Option<(Outline, usize)>,
    garbage: Throttle,
    _role: PhantomData<fn() -> Role>,
    _writer: PhantomData<fn() -> W>,
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
    /// A transport over `read` and `write`; the task that writes is spawned here.
    pub fn new(read: R, write: W, limit: usize, peer: Peer) -> Self {
        let (queue, lines) = mpsc::channel(MAX_QUEUED_MESSAGES);
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let broken = CancellationToken::new();
        let written = CancellationToken::new();
        tokio::spawn(write_out(
            write,
            lines,
            Writer {
                queued_bytes: queued_bytes.clone(),
                broken: broken.clone(),
                written: written.clone(),
                who: peer.who.clone(),
            },
        ));
        Self {
            reader: BufReader::with_capacity(64 * 1024, read),
            queue: Some(queue),
            queued_bytes,
            broken,
            written,
            limit,
            peer,
            line: Vec::new(),
            skipping: None,
            garbage: Throttle::new(10, Duration::from_secs(60)),
            _role: PhantomData,
            _writer: PhantomData,
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

    /// Queues one message and a newline for the writer task; never waits. A full queue
    /// breaks the connection (see the module doc).
    fn queue<T: Serialize>(&self, message: &T) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let closed = || {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                format!("the connection to {} is closed", self.peer.who),
            )
        };
        let Some(queue) = self.queue.as_ref().filter(|_| !self.broken.is_cancelled()) else {
            return Err(closed());
        };
        let bytes = line.len();
        let queued = self.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        // Err(true): over a limit; Err(false): the writer task has ended.
        let sent = if queued > 0 && queued + bytes > MAX_QUEUED_BYTES {
            Err(true)
        } else {
            queue
                .try_send(line)
                .map_err(|e| matches!(e, mpsc::error::TrySendError::Full(_)))
        };
        match sent {
            Ok(()) => Ok(()),
            Err(overflow) => {
                self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
                if overflow {
                    Err(self.overflowed(MAX_QUEUED_MESSAGES - queue.capacity(), queued))
                } else {
                    Err(closed())
                }
            }
        }
    }

    /// Cuts off a peer that left too much unread.
    fn overflowed(&self, messages: usize, bytes: usize) -> std::io::Error {
        let text = format!(
            "{} does not read what the gateway sends: {messages} messages ({}) wait to be written, and the limit is {MAX_QUEUED_MESSAGES} messages or {}; the connection is closed",
            self.peer.who,
            describe_size(bytes),
            describe_size(MAX_QUEUED_BYTES),
        );
        tracing::warn!(peer = %self.peer.who, "{text}");
        self.broken.cancel();
        std::io::Error::other(text)
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

/// What the writer task shares with its transport.
struct Writer {
    queued_bytes: Arc<AtomicUsize>,
    broken: CancellationToken,
    written: CancellationToken,
    who: String,
}

/// Writes queued lines until the queue closes (then shuts the stream down) or the
/// connection breaks (then drops the stream as it is).
async fn write_out<W>(mut write: W, mut lines: mpsc::Receiver<Vec<u8>>, shared: Writer)
where
    W: AsyncWrite + Unpin + Send + 'static,
{
    let _written = shared.written.clone().drop_guard();
    let work = async {
        let mut batch = Vec::new();
        while let Some(line) = lines.recv().await {
            let bytes = if line.len() >= BATCH_BYTES || lines.is_empty() {
                write.write_all(&line).await?;
                line.len()
            } else {
                batch.clear();
                batch.extend_from_slice(&line);
                while batch.len() < BATCH_BYTES {
                    let Ok(line) = lines.try_recv() else { break };
                    batch.extend_from_slice(&line);
                }
                write.write_all(&batch).await?;
                batch.len()
            };
            write.flush().await?;
            shared.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
        }
        write.shutdown().await
    };
    tokio::select! {
        done = work => if let Err(e) = done {
            tracing::debug!(peer = %shared.who, "writing failed: {e}");
            shared.broken.cancel();
        },
        _ = shared.broken.cancelled() => {}
    }
}

/// A transport dropped without `close` lets its last messages go out, for a while.
impl<Role, R, W> Drop for JsonLines<Role, R, W> {
    fn drop(&mut self) {
        if self.written.is_cancelled() {
            return;
        }
        let (broken, written) = (self.broken.clone(), self.written.clone());
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let _ = tokio::time::timeout(CLOSE_GRACE, written.cancelled()).await;
                    broken.cancel();
                });
            }
            Err(_) => broken.cancel(),
        }
    }
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
        std::future::ready(self.queue(&item))
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<Role>> {
        let broken = self.broken.clone();
        tokio::select! {
            biased;
            _ = broken.cancelled() => None,
            // Cancel-safe: a partly read line stays in `self`.
            message = self.read_message() => message,
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        // The writer task writes what is queued, then shuts the stream down.
        self.queue = None;
        if tokio::time::timeout(CLOSE_GRACE, self.written.cancelled())
            .await
            .is_err()
        {
            self.broken.cancel();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "{} did not take the last messages within {CLOSE_GRACE:?}",
                    self.peer.who
                ),
            ));
        }
        Ok(())
    }
}

impl<Role, R, W> JsonLines<Role, R, W>
where
    Role: ServiceRole,
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    /// The next message to hand on; a dropped request is answered with its error.
    async fn read_message(&mut self) -> Option<RxJsonRpcMessage<Role>> {
        loop {
            match self.next().await {
                Next::Message(message) => return Some(message),
                Next::Dropped { outline, error } => {
                    // A notification: nothing waits on it.
                    let Some(id) = outline.id() else { continue };
                    if outline.is_response() {
                        return Some(error_message(id, error));
                    }
                    let answer: TxJsonRpcMessage<Role> = error_message(id, error);
                    if let Err(e) = self.queue(&answer) {
                        tracing::debug!(peer = %self.peer.who, "answering a dropped message failed: {e}");
                    }
                }
                Next::End => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests;
