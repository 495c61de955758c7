//! A backend's stderr: read line by line (each line capped), kept in its [`LogRing`] for
//! `gateway_health`, error messages and `ocimcpctl logs`, and written to the daemon log
//! (throttled, so a flood cannot fill the journal).

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::log_ring::{LogRing, Throttle};

/// Longest stderr line kept; the rest of a longer line is dropped and marked.
pub const MAX_LINE_BYTES: usize = 4096;

/// Backend stderr lines written to the daemon log per second, at most; the ring keeps all.
const LOGGED_PER_SECOND: u32 = 50;

/// Reads `stream` until EOF, one (capped) line at a time.
pub async fn pump(stream: impl AsyncRead + Unpin, log: std::sync::Arc<LogRing>) {
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

fn emit(log: &LogRing, throttle: &mut Throttle, line: &mut Vec<u8>, truncated: &mut bool) {
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
    use crate::log_ring::{RING_BYTES, RING_LINES};

    #[tokio::test]
    async fn lines_are_split_capped_and_bounded() {
        let log = Arc::new(LogRing::new("t", 3));
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
        let log = Arc::new(LogRing::new("t", RING_LINES));
        let line = "y".repeat(4000);
        let input = format!("{line}\n").repeat(100);
        pump(input.as_bytes(), log.clone()).await;
        let kept = log.tail(RING_LINES);
        assert_eq!(kept.len(), RING_BYTES / 4000);
        assert!(kept.iter().map(String::len).sum::<usize>() <= RING_BYTES);
    }
}
