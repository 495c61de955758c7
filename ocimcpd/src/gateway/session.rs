//! Client sessions as the gateway sees them: who is connected, the log level each asked
//! for, the resources each subscribed to, and how many subscribers each backend resource
//! has (a backend is subscribed once, however many clients want its updates).

// logging/setLevel is deprecated by SEP-2577 but still part of the protocol.
#![allow(deprecated)]

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rmcp::model::LoggingLevel;
use rmcp::service::{Peer, RoleServer};

use crate::backends::level_rank;

/// One client session (session-era protocol), or one stateless request.
#[derive(Debug)]
pub struct ClientSession {
    /// Tells sessions apart (the relay uses it to tell clients apart).
    pub key: u64,
    peer: OnceLock<Peer<RoleServer>>,
    log_level: Mutex<Option<LoggingLevel>>,
    /// Exposed URIs this client subscribed to.
    subscriptions: Mutex<HashSet<String>>,
}

/// Locks a mutex; a panic elsewhere while it was held leaves data still worth reading.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl ClientSession {
    pub fn peer(&self) -> Option<&Peer<RoleServer>> {
        self.peer.get()
    }

    pub fn log_level(&self) -> Option<LoggingLevel> {
        *lock(&self.log_level)
    }

    pub fn set_log_level(&self, level: LoggingLevel) {
        *lock(&self.log_level) = Some(level);
    }

    /// Records a subscription; false if it was already there.
    pub fn subscribe(&self, uri: &str) -> bool {
        lock(&self.subscriptions).insert(uri.to_owned())
    }

    /// Drops a subscription; false if there was none.
    pub fn unsubscribe(&self, uri: &str) -> bool {
        lock(&self.subscriptions).remove(uri)
    }

    pub fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }

    /// Empties the subscriptions (of a closed session), for the caller to release.
    pub fn take_subscriptions(&self) -> Vec<String> {
        lock(&self.subscriptions).drain().collect()
    }

    fn is_open(&self) -> bool {
        self.peer
            .get()
            .is_some_and(|peer| !peer.is_transport_closed())
    }
}

/// Every open session, and the subscriptions they hold at backends.
#[derive(Debug, Default)]
pub struct Sessions {
    next_key: AtomicU64,
    open: Mutex<Vec<Arc<ClientSession>>>,
    /// (backend, backend's own URI) → number of subscribed sessions.
    upstream: Mutex<HashMap<(String, String), usize>>,
}

impl Sessions {
    /// A new session, not yet listed: it is added once the client is initialized.
    pub fn create(&self) -> Arc<ClientSession> {
        Arc::new(ClientSession {
            key: self.next_key.fetch_add(1, Ordering::Relaxed),
            peer: OnceLock::new(),
            log_level: Mutex::new(None),
            subscriptions: Mutex::new(HashSet::new()),
        })
    }

    pub fn add(&self, session: Arc<ClientSession>, peer: Peer<RoleServer>) {
        let _ = session.peer.set(peer);
        lock(&self.open).push(session);
    }

    /// The open sessions. Closed ones are removed and returned with the subscriptions
    /// they held, for the caller to release upstream.
    pub fn open(&self) -> (Vec<Arc<ClientSession>>, Vec<Arc<ClientSession>>) {
        let mut open = lock(&self.open);
        let (alive, closed): (Vec<_>, Vec<_>) = open.drain(..).partition(|s| s.is_open());
        *open = alive.clone();
        (alive, closed)
    }

    /// The most verbose level any listed session asked for. (Reads only: pruning closed
    /// sessions is `open`'s job, which hands back their subscriptions to release.)
    pub fn most_verbose_level(&self) -> Option<LoggingLevel> {
        lock(&self.open)
            .iter()
            .filter_map(|s| s.log_level())
            .min_by_key(|level| level_rank(*level))
    }

    /// Counts one more subscriber of a backend resource; true if it is the first.
    pub fn hold(&self, backend: &str, uri: &str) -> bool {
        let mut upstream = lock(&self.upstream);
        let count = upstream
            .entry((backend.to_owned(), uri.to_owned()))
            .or_insert(0);
        *count += 1;
        *count == 1
    }

    /// The backend's own URIs of the resources clients are subscribed to at `backend`.
    pub fn held_at(&self, backend: &str) -> Vec<String> {
        lock(&self.upstream)
            .keys()
            .filter(|(b, _)| b == backend)
            .map(|(_, uri)| uri.clone())
            .collect()
    }

    /// Counts one subscriber fewer; true if it was the last.
    pub fn release(&self, backend: &str, uri: &str) -> bool {
        let mut upstream = lock(&self.upstream);
        let key = (backend.to_owned(), uri.to_owned());
        match upstream.get_mut(&key) {
            Some(count) if *count > 1 => {
                *count -= 1;
                false
            }
            Some(_) => {
                upstream.remove(&key);
                true
            }
            None => false,
        }
    }
}
