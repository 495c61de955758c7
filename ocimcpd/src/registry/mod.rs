//! The registry: owns every backend's entry (spec, state, connection, listing), the
//! aggregated [`Catalog`] and its list-changed notifications, and the channel on which
//! backend connections hand the gateway messages no single request claims (log messages,
//! resource updates). Backend lifecycle tasks write
//! here; the gateway only reads, and reads of the catalog take no lock: it is an `Arc`
//! snapshot swapped whole when a listing changes.

mod catalog;
mod entry;
mod names;
mod state;

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use arc_swap::ArcSwap;
use tokio::sync::broadcast;

pub use catalog::{Catalog, Conflict, ListChanged, Route};
pub use entry::{BackendEntry, Connection, Listing};
pub use names::exposed_uri;
pub use state::{BackendState, BackendStatus};

use crate::config::BackendSpec;
use crate::relay::Notice;

pub struct Registry {
    entries: Vec<Arc<BackendEntry>>,
    catalog: ArcSwap<Catalog>,
    /// Serializes rebuilds so two backends becoming ready together cannot lose an update.
    rebuild: Mutex<()>,
    changes: broadcast::Sender<ListChanged>,
    /// Backend messages for clients that no single request claims (see `relay`).
    notices: broadcast::Sender<Notice>,
    reserved: Vec<&'static str>,
    started: Instant,
    started_at: SystemTime,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("backends", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// One entry per spec, in config order. `reserved` are tool names the gateway serves
    /// itself, which no backend may take.
    pub fn new(specs: Vec<BackendSpec>, reserved: Vec<&'static str>) -> Self {
        let (changes, _) = broadcast::channel(64);
        let (notices, _) = broadcast::channel(256);
        Self {
            entries: specs
                .into_iter()
                .map(|spec| Arc::new(BackendEntry::new(spec)))
                .collect(),
            catalog: ArcSwap::from_pointee(Catalog::default()),
            rebuild: Mutex::new(()),
            changes,
            notices,
            reserved,
            started: Instant::now(),
            started_at: SystemTime::now(),
        }
    }

    pub fn entries(&self) -> &[Arc<BackendEntry>] {
        &self.entries
    }

    pub fn entry(&self, name: &str) -> Option<&Arc<BackendEntry>> {
        self.entries.iter().find(|e| e.name() == name)
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

    /// Where backend connections send their [`Notice`]s.
    pub fn notice_sender(&self) -> broadcast::Sender<Notice> {
        self.notices.clone()
    }

    /// Rebuilds the catalog from the current listings and tells subscribers what changed.
    pub fn rebuild(&self) -> ListChanged {
        let _guard = self.rebuild.lock().unwrap_or_else(|e| e.into_inner());
        let (catalog, conflicts) = Catalog::build(&self.entries, &self.reserved);
        for entry in &self.entries {
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

    /// True once every enabled backend has become ready or failed at least once.
    pub fn settled(&self) -> bool {
        self.entries.iter().all(|e| e.status().settled)
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
