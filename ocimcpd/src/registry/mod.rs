//! The registry: owns every backend's entry (spec, state, connection, listing), the
//! aggregated [`Catalog`] and its list-changed notifications, and the channel on which
//! backend connections hand the gateway messages no single request claims (log messages,
//! resource updates), and the report of a backend's state shown to people and tools.
//! The backend control adds, replaces and removes entries, and lifecycle tasks update
//! them; the gateway and the admin socket only read. Reads take no lock: the entry list
//! and the catalog are `Arc` snapshots swapped whole when they change.

mod catalog;
mod entry;
mod names;
mod report;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use arc_swap::ArcSwap;
use tokio::sync::broadcast;

pub use catalog::{Catalog, Conflict, ListChanged, Route};
pub use entry::{BackendEntry, Listing};
pub use names::exposed_uri;
pub use report::{report, reports, round_seconds};
pub use state::{BackendStatus, Enabled};

use crate::backends::Notice;

pub struct Registry {
    /// Swapped whole when a backend is added, replaced or removed; reads take no lock.
    entries: ArcSwap<Vec<Arc<BackendEntry>>>,
    catalog: ArcSwap<Catalog>,
    /// Serializes rebuilds (and changes to `entries`) so two backends becoming ready
    /// together cannot lose an update.
    rebuild: Mutex<()>,
    changes: broadcast::Sender<ListChanged>,
    /// Backend messages for clients that no single request claims (see `relay`).
    notices: broadcast::Sender<Notice>,
    /// Names of backends that just got a new connection (started or restarted).
    connected: broadcast::Sender<String>,
    reserved: Vec<&'static str>,
    /// Set once the configuration's backends have been put in (at start, before that,
    /// the registry is empty but not settled).
    loaded: std::sync::atomic::AtomicBool,
    started: Instant,
    started_at: SystemTime,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("backends", &self.entries.load().len())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// An empty registry; backends are added with [`put`](Self::put). `reserved` are tool
    /// names the gateway serves itself, which no backend may take.
    pub fn new(reserved: Vec<&'static str>) -> Self {
        let (changes, _) = broadcast::channel(64);
        let (notices, _) = broadcast::channel(256);
        let (connected, _) = broadcast::channel(64);
        Self {
            entries: ArcSwap::from_pointee(Vec::new()),
            catalog: ArcSwap::from_pointee(Catalog::default()),
            rebuild: Mutex::new(()),
            changes,
            notices,
            connected,
            reserved,
            loaded: std::sync::atomic::AtomicBool::new(false),
            started: Instant::now(),
            started_at: SystemTime::now(),
        }
    }

    /// Every backend, in the order they were first added. A snapshot: lock-free.
    pub fn entries(&self) -> Arc<Vec<Arc<BackendEntry>>> {
        self.entries.load_full()
    }

    pub fn entry(&self, name: &str) -> Option<Arc<BackendEntry>> {
        self.entries
            .load()
            .iter()
            .find(|e| e.name() == name)
            .cloned()
    }

    /// Adds `entry`, or replaces the entry of the same name in its place, and rebuilds the
    /// catalog.
    pub fn put(&self, entry: Arc<BackendEntry>) -> ListChanged {
        let guard = self.lock_rebuild();
        let mut entries = Vec::clone(&self.entries.load());
        match entries.iter_mut().find(|e| e.name() == entry.name()) {
            Some(slot) => *slot = entry,
            None => entries.push(entry),
        }
        self.entries.store(Arc::new(entries));
        self.rebuild_locked(guard)
    }

    /// Removes the named entry (if any) and rebuilds the catalog.
    pub fn remove(&self, name: &str) -> ListChanged {
        let guard = self.lock_rebuild();
        let mut entries = Vec::clone(&self.entries.load());
        entries.retain(|e| e.name() != name);
        self.entries.store(Arc::new(entries));
        self.rebuild_locked(guard)
    }

    /// The current catalog. Lock-free; the snapshot stays valid while held.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Notified whenever a rebuild changed what clients see.
    pub fn subscribe(&self) -> broadcast::Receiver<ListChanged> {
        self.changes.subscribe()
    }

    /// Backend messages for the gateway to fan out to clients.
    pub fn notices(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    /// Tells the gateway a backend has a new connection, so what clients hold at it
    /// (resource subscriptions) is made again.
    pub fn announce_connected(&self, backend: &str) {
        // No receiver: no gateway is serving yet.
        let _ = self.connected.send(backend.to_owned());
    }

    /// Names of backends as they get new connections.
    pub fn connections(&self) -> broadcast::Receiver<String> {
        self.connected.subscribe()
    }

    /// Where backend connections send their [`Notice`]s.
    pub fn notice_sender(&self) -> broadcast::Sender<Notice> {
        self.notices.clone()
    }

    /// Rebuilds the catalog from the current listings and tells subscribers what changed.
    pub fn rebuild(&self) -> ListChanged {
        let guard = self.lock_rebuild();
        self.rebuild_locked(guard)
    }

    fn lock_rebuild(&self) -> MutexGuard<'_, ()> {
        self.rebuild.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn rebuild_locked(&self, _guard: MutexGuard<'_, ()>) -> ListChanged {
        let entries = self.entries.load();
        let (catalog, conflicts) = Catalog::build(&entries, &self.reserved);
        for entry in entries.iter() {
            let mine = conflicts
                .iter()
                .filter(|c| c.backend == entry.name())
                .map(|c| c.message.clone())
                .collect();
            entry.set_conflicts(mine);
        }
        let old = self.catalog.swap(Arc::new(catalog));
        let changed = self.catalog.load().changes_since(&old);
        if changed.any() {
            // No receivers is fine: nobody is connected yet.
            let _ = self.changes.send(changed);
        }
        changed
    }

    /// Records that the configuration's backends are in.
    pub fn mark_loaded(&self) {
        self.loaded
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether the configuration's backends are in (see [`mark_loaded`](Self::mark_loaded)).
    pub fn loaded(&self) -> bool {
        self.loaded.load(std::sync::atomic::Ordering::Acquire)
    }

    /// True once the configuration is loaded and every enabled backend has become ready
    /// or failed at least once.
    pub fn settled(&self) -> bool {
        self.loaded() && self.entries.load().iter().all(|e| e.status().settled)
    }

    pub fn uptime(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    pub fn started_at(&self) -> SystemTime {
        self.started_at
    }
}

#[cfg(test)]
mod tests;
