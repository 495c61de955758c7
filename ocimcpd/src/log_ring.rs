//! Bounded logs kept in memory: the [`LogRing`] of the last lines a backend (or the
//! daemon itself) wrote, with a feed for followers (`ocimcpctl logs -f`), and the
//! [`Throttle`] that keeps a noisy source from flooding the journal. Both the daemon's
//! logging and the supervisor's stderr readers use them; this module uses neither.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

/// Lines kept per backend.
pub const RING_LINES: usize = 500;

/// Bytes kept per backend, whatever the line count: a hundred chatty backends stay small.
pub const RING_BYTES: usize = 128 * 1024;

/// The last lines a backend (or the daemon) wrote to stderr, and a feed of new ones.
#[derive(Debug)]
pub struct LogRing {
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

impl LogRing {
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

/// Lets a noisy source log at most `burst` lines per `window` and counts the lines it
/// held back, so a flood cannot fill the journal or slow the daemon down.
#[derive(Debug)]
pub struct Throttle {
    burst: u32,
    window: std::time::Duration,
    window_start: std::time::Instant,
    used: u32,
    held_back: u64,
}

impl Throttle {
    pub fn new(burst: u32, window: std::time::Duration) -> Self {
        Self {
            burst,
            window,
            window_start: std::time::Instant::now(),
            used: 0,
            held_back: 0,
        }
    }

    /// `Some(n)` if the next line may be logged, `n` being how many were held back since
    /// the last one that was; `None` if it must be held back.
    pub fn admit(&mut self) -> Option<u64> {
        if self.window_start.elapsed() >= self.window {
            self.window_start = std::time::Instant::now();
            self.used = 0;
        }
        if self.used < self.burst {
            self.used += 1;
            Some(std::mem::take(&mut self.held_back))
        } else {
            self.held_back += 1;
            None
        }
    }
}

#[cfg(test)]
mod throttle_tests {
    use std::time::Duration;

    use super::Throttle;

    #[test]
    fn lets_a_burst_through_then_counts() {
        let mut throttle = Throttle::new(2, Duration::from_secs(3600));
        assert_eq!(throttle.admit(), Some(0));
        assert_eq!(throttle.admit(), Some(0));
        assert_eq!(throttle.admit(), None);
        assert_eq!(throttle.admit(), None);
        let mut throttle = Throttle::new(1, Duration::ZERO);
        assert_eq!(throttle.admit(), Some(0));
        assert_eq!(throttle.admit(), Some(0));
    }
}
