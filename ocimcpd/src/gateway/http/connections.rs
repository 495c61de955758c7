//! What one HTTP connection may hold of the daemon: a place among `max_connections` (in
//! all) and `max_connections_per_client` (per remote address), taken when it is accepted;
//! and time: a connection that has not sent a request's headers within
//! `header_read_timeout` of opening, or that has had no request in progress for
//! `idle_timeout`, is closed. The cap in all also keeps file descriptors for the daemon's
//! own work (the admin socket, backend restarts, OCI calls): see [`descriptor_cap`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::gateway::session::lock;

/// File descriptors the daemon keeps for itself whatever HTTP clients do: a quarter of
/// its limit, and never fewer than this.
const MIN_RESERVED_DESCRIPTORS: u64 = 512;

/// How many HTTP connections may be open at once: `configured`, lowered so that a quarter
/// of the descriptor limit `nofile` (at least 512) stays free for the daemon's own work.
pub fn descriptor_cap(configured: usize, nofile: u64) -> usize {
    let reserved = (nofile / 4).max(MIN_RESERVED_DESCRIPTORS);
    let available = usize::try_from(nofile.saturating_sub(reserved)).unwrap_or(usize::MAX);
    configured.min(available).max(1)
}

/// Open connections, in all and per remote address. When a new connection finds no place,
/// the connection that has been idle longest (no request in progress: it sent nothing, or
/// is between requests) is closed to make room, from the same address when the address is
/// at its own cap; only when every connection is busy is the newcomer refused. So idle
/// connections cannot keep a client with work to do out, and a client whose pooled
/// connection was closed simply opens another.
#[derive(Debug)]
pub struct ConnectionLimits {
    max: usize,
    max_per_client: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    next_id: u64,
    connections: HashMap<u64, Held>,
    per_client: HashMap<IpAddr, usize>,
}

#[derive(Debug)]
struct Held {
    client: IpAddr,
    activity: Activity,
    evict: CancellationToken,
}

impl Open {
    /// Closes the connection idle longest (of `client`'s, if given); false if none is idle.
    fn evict_idlest(&mut self, client: Option<IpAddr>) -> bool {
        let idlest = self
            .connections
            .iter()
            .filter(|(_, held)| client.is_none_or(|c| held.client == c))
            .filter_map(|(id, held)| held.activity.idle_since().map(|since| (since, *id)))
            .min();
        let Some((_, id)) = idlest else { return false };
        if let Some(held) = self.forget(id) {
            held.evict.cancel();
        }
        true
    }

    fn forget(&mut self, id: u64) -> Option<Held> {
        let held = self.connections.remove(&id)?;
        if let Some(count) = self.per_client.get_mut(&held.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_client.remove(&held.client);
            }
        }
        Some(held)
    }
}

/// A connection's place; given back when dropped.
#[derive(Debug)]
pub struct ConnectionPlace {
    limits: Arc<ConnectionLimits>,
    id: u64,
    /// The connection's requests in progress.
    pub activity: Activity,
    /// Fires when the place was given to a newcomer: the connection must close.
    pub evicted: CancellationToken,
}

/// What [`ConnectionLimits::admit`] did to make room.
#[derive(Debug, PartialEq, Eq)]
pub enum Made {
    /// There was room.
    Room,
    /// An idle connection was closed; why it had to be.
    Evicted(String),
}

impl ConnectionLimits {
    pub fn new(max: usize, max_per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            max_per_client,
            open: Mutex::default(),
        })
    }

    /// A place for a new connection from `client`, making room by closing an idle
    /// connection if need be; or why there is none.
    pub fn admit(self: &Arc<Self>, client: IpAddr) -> Result<(ConnectionPlace, Made), String> {
        let mut open = lock(&self.open);
        let mut made = Made::Room;
        let mine = open.per_client.get(&client).copied().unwrap_or(0);
        if mine >= self.max_per_client {
            let why = format!(
                "{client} has {mine} connections open ([gateway] max_connections_per_client = {})",
                self.max_per_client
            );
            if !open.evict_idlest(Some(client)) {
                return Err(format!("{why}, all busy"));
            }
            made = Made::Evicted(why);
        }
        if open.connections.len() >= self.max {
            let why = format!(
                "{} connections are open ([gateway] max_connections = {})",
                open.connections.len(),
                self.max
            );
            if !open.evict_idlest(None) {
                return Err(format!("{why}, all busy"));
            }
            made = Made::Evicted(why);
        }
        open.next_id += 1;
        let id = open.next_id;
        let activity = Activity::new();
        let evicted = CancellationToken::new();
        open.connections.insert(
            id,
            Held {
                client,
                activity: activity.clone(),
                evict: evicted.clone(),
            },
        );
        *open.per_client.entry(client).or_default() += 1;
        let place = ConnectionPlace {
            limits: self.clone(),
            id,
            activity,
            evicted,
        };
        Ok((place, made))
    }
}

impl Drop for ConnectionPlace {
    fn drop(&mut self) {
        lock(&self.limits.open).forget(self.id);
    }
}

/// The answer to a connection refused for want of a place, written before it is closed:
/// a client that speaks HTTP/1 learns why; one that speaks HTTP/2 sees the connection close.
pub fn refusal_bytes(why: &str) -> Vec<u8> {
    let body = serde_json::json!({
        "error": format!("ocimcpd refused the connection: {why}"),
        "hint": "close idle connections, or retry in a few seconds",
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Requests in progress on one connection: each request holds an [`InProgress`] until its
/// response body is done (or dropped), so a long SSE stream keeps its connection busy.
#[derive(Debug, Clone)]
pub struct Activity {
    in_progress: Arc<watch::Sender<Progress>>,
}

#[derive(Debug, Clone, Copy)]
struct Progress {
    /// Requests whose response is not finished.
    open: usize,
    /// Requests that started on this connection, ever.
    started: u64,
    /// When `open` last changed (or the connection opened).
    since: Instant,
}

impl Activity {
    pub fn new() -> Self {
        Self {
            in_progress: Arc::new(watch::Sender::new(Progress {
                open: 0,
                started: 0,
                since: Instant::now(),
            })),
        }
    }

    /// Since when the connection has had no request in progress, if it has none.
    pub fn idle_since(&self) -> Option<Instant> {
        let progress = *self.in_progress.borrow();
        (progress.open == 0).then_some(progress.since)
    }

    /// Marks a request as started; it is in progress until the guard is dropped.
    pub fn start(&self) -> InProgress {
        self.in_progress.send_modify(|p| {
            p.open += 1;
            p.started += 1;
            p.since = Instant::now();
        });
        InProgress {
            in_progress: self.in_progress.clone(),
        }
    }

    /// Resolves when the connection should be closed: nothing in progress for
    /// `header_read` before the first request, or for `idle` after one.
    pub async fn expired(&self, header_read: Duration, idle: Duration) {
        let mut progress = self.in_progress.subscribe();
        loop {
            let now = *progress.borrow_and_update();
            if now.open > 0 {
                if progress.changed().await.is_err() {
                    return;
                }
                continue;
            }
            let limit = if now.started == 0 { header_read } else { idle };
            tokio::select! {
                _ = tokio::time::sleep(limit) => return,
                changed = progress.changed() => if changed.is_err() { return },
            }
        }
    }
}

/// One request in progress on a connection.
#[derive(Debug)]
pub struct InProgress {
    in_progress: Arc<watch::Sender<Progress>>,
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.in_progress.send_modify(|p| {
            p.open = p.open.saturating_sub(1);
            p.since = Instant::now();
        });
    }
}

/// A response body that holds `G` until it is done: its request counted as in progress,
/// or its share of the body budget.
pub struct Tracked<B, G> {
    body: B,
    _held: G,
}

impl<B, G> Tracked<B, G> {
    pub fn new(body: B, held: G) -> Self {
        Self { body, _held: held }
    }
}

impl<B, G: Unpin> Body for Tracked<B, G>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_cap_keeps_a_quarter_of_the_descriptors_and_at_least_512() {
        assert_eq!(descriptor_cap(4096, 1024), 512);
        assert_eq!(descriptor_cap(4096, 65536), 4096);
        assert_eq!(descriptor_cap(100_000, 65536), 49152);
        assert_eq!(descriptor_cap(4096, 256), 1, "never zero");
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

    #[test]
    fn busy_connections_are_counted_in_all_and_per_client() {
        let limits = ConnectionLimits::new(3, 2);
        let (first, _) = limits.admit(A).expect("first");
        let (second, _) = limits.admit(A).expect("second");
        let _busy = [first.activity.start(), second.activity.start()];
        let third = limits.admit(A).expect_err("a third from A");
        assert!(
            third.contains("max_connections_per_client = 2), all busy"),
            "{third}"
        );
        let (other, made) = limits.admit(B).expect("B has its own count");
        assert_eq!(made, Made::Room);
        let _busy_too = other.activity.start();
        let full = limits.admit(B).expect_err("all three places taken");
        assert!(full.contains("max_connections = 3), all busy"), "{full}");
        drop(first);
        limits.admit(A).expect("a place was given back");
    }

    #[tokio::test(start_paused = true)]
    async fn a_newcomer_closes_the_connection_idle_longest() {
        let limits = ConnectionLimits::new(3, 2);
        let (oldest, _) = limits.admit(A).expect("A's first");
        tokio::time::advance(Duration::from_secs(1)).await;
        let (newer, _) = limits.admit(A).expect("A's second");
        tokio::time::advance(Duration::from_secs(1)).await;
        let (busy, _) = limits.admit(B).expect("B's");
        let _request = busy.activity.start();

        // Full: B's busy connection stays, A's idlest makes room.
        let (_c, made) = limits.admit(B).expect("room is made");
        assert!(matches!(made, Made::Evicted(why) if why.contains("max_connections = 3")));
        assert!(oldest.evicted.is_cancelled());
        assert!(!newer.evicted.is_cancelled() && !busy.evicted.is_cancelled());

        // At its own cap, an address makes room among its own connections only.
        let (_d, made) = limits.admit(B).expect("room among B's");
        assert!(
            matches!(made, Made::Evicted(why) if why.contains("max_connections_per_client = 2"))
        );
        assert!(
            !newer.evicted.is_cancelled(),
            "A's connection was not B's to close"
        );
        drop(oldest); // its place was already given up: nothing is counted twice
        limits.admit(A).expect("A has one connection of its two");
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_expires_only_with_nothing_in_progress() {
        let activity = Activity::new();
        let header_read = Duration::from_secs(10);
        let idle = Duration::from_secs(60);

        // No request at all: the header-read limit.
        let start = tokio::time::Instant::now();
        activity.expired(header_read, idle).await;
        assert_eq!(start.elapsed(), header_read);

        // A request in progress (a long stream) holds the connection however long it takes.
        let request = activity.start();
        let watching = activity.clone();
        let expiry = tokio::spawn(async move { watching.expired(header_read, idle).await });
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(!expiry.is_finished());
        // Once it is done, the idle limit runs from then.
        let done = tokio::time::Instant::now();
        drop(request);
        expiry.await.expect("watch");
        assert_eq!(done.elapsed(), idle);
    }
}
