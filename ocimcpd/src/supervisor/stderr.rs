//! A backend's stderr: read line by line (each line capped), kept in a bounded ring for
//! `gateway_health`, error messages and `ocimcpctl logs`, and written to the daemon log
//! (throttled, so a flood cannot fill the journal). The daemon keeps its own log lines in
//! a ring of the same kind.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::logging::Throttle;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// Longest stderr line kept; the rest of a longer line is dropped and marked.
pub const MAX_LINE_BYTES: usize = 4096;

/// Lines kept per backend.
pub const RING_LINES: usize = 500;

/// Bytes kept per backend, whatever the line count: a hundred chatty backends stay small.
pub const RING_BYTES: usize = 128 * 1024;

/// The last lines a backend (or the daemon) wrote to stderr, and a feed of new ones.
#[derive(Debug)]
pub struct StderrLog {
    backend: String,
    lines: Mutex<Ring>,
    capacity: usize,
    /// New lines for followers (`ocimcpctl logs -f`); a follower that falls behind is told
    /// how many it missed.
    feed: broadcast::Sender<Arc<str>>,
}

/// Lines a slow follower may lag behind before it misses some.
const FEED_LINES: usize = 1024;

#[derive(Debug, Default)]
struct Ring {
    lines: VecDeque<String>,
    bytes: usize,
}

impl StderrLog {
    pub fn new(backend: &str, capacity: usize) -> Self {
        Self {
            backend: backend.to_owned(),
            lines: Mutex::new(Ring::default()),
            capacity,
            feed: broadcast::channel(FEED_LINES).0,
        }
    }

    pub fn backend(&self) -> &str {
        &self.backend
    }

    pub fn push(&self, line: String) {
        if self.feed.receiver_count() > 0 {
            // No follower left between the check and the send is fine.
            let _ = self.feed.send(Arc::from(line.as_str()));
        }
        let mut ring = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        ring.bytes += line.len();
        ring.lines.push_back(line);
        while ring.lines.len() > self.capacity || (ring.bytes > RING_BYTES && ring.lines.len() > 1)
        {
            if let Some(old) = ring.lines.pop_front() {
                ring.bytes -= old.len();
            }
        }
    }

    /// New lines from now on.
    pub fn follow(&self) -> broadcast::Receiver<Arc<str>> {
        self.feed.subscribe()
    }

    /// The last `n` lines, oldest first.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let ring = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        ring.lines
            .iter()
            .skip(ring.lines.len().saturating_sub(n))
            .cloned()
            .collect()
    }
}

/// Backend stderr lines written to the daemon log per second, at most; the ring keeps all.
const LOGGED_PER_SECOND: u32 = 50;

/// Reads `stream` until EOF, one (capped) line at a time.
pub async fn pump(stream: impl AsyncRead + Unpin, log: std::sync::Arc<StderrLog>) {
    let mut reader = BufReader::with_capacity(8192, stream);
    let mut line: Vec<u8> = Vec::new();
    let mut truncated = false;
    let mut throttle = Throttle::new(LOGGED_PER_SECOND, std::time::Duration::from_secs(1));
    loop {
        let buf = match reader.fill_buf().await {
            Ok(buf) => buf,
            Err(e) => {
                tracing::debug!(error = %e, "reading backend stderr failed");
                break;
            }
        };
        if buf.is_empty() {
            break;
        }
        let (chunk, consumed, complete) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        truncated |= chunk.len() > room;
        reader.consume(consumed);
        if complete {
            emit(&log, &mut throttle, &mut line, &mut truncated);
        }
    }
    if !line.is_empty() {
        emit(&log, &mut throttle, &mut line, &mut truncated);
    }
}

fn emit(log: &StderrLog, throttle: &mut Throttle, line: &mut Vec<u8>, truncated: &mut bool) {
    let mut text = String::from_utf8_lossy(line)
        .trim_end_matches('\r')
        .to_owned();
    if *truncated {
        text.push_str(" …[truncated]");
    }
    match throttle.admit() {
        Some(0) => tracing::info!(target: "ocimcpd::backend", "{text}"),
        Some(held_back) => {
            tracing::info!(target: "ocimcpd::backend", "{text} ({held_back} earlier stderr lines not logged: over {LOGGED_PER_SECOND}/s; `ocimcpctl logs {}` has the latest)", log.backend())
        }
        None => {}
    }
    log.push(text);
    line.clear();
    *truncated = false;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn lines_are_split_capped_and_bounded() {
        let log = Arc::new(StderrLog::new("t", 3));
        let long = "x".repeat(MAX_LINE_BYTES + 100);
        let input = format!("one\r\ntwo\n{long}\nfour\nfive");
        pump(input.as_bytes(), log.clone()).await;
        let tail = log.tail(10);
        assert_eq!(tail.len(), 3);
        assert!(tail[0].starts_with("xxxx") && tail[0].ends_with("…[truncated]"));
        assert_eq!(tail[0].len(), MAX_LINE_BYTES + " …[truncated]".len());
        assert_eq!(&tail[1..], ["four", "five"]);
        assert_eq!(log.tail(1), ["five"]);
    }

    #[tokio::test]
    async fn the_ring_is_bounded_in_bytes() {
        let log = Arc::new(StderrLog::new("t", RING_LINES));
        let line = "y".repeat(4000);
        let input = format!("{line}\n").repeat(100);
        pump(input.as_bytes(), log.clone()).await;
        let kept = log.tail(RING_LINES);
        assert_eq!(kept.len(), RING_BYTES / 4000);
        assert!(kept.iter().map(String::len).sum::<usize>() <= RING_BYTES);
    }
}
