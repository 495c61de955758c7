//! Short-lived answers for slow, stable lookups, so a burst of calls does not ask OCI the
//! same thing again: the compartment tree ([`COMPARTMENTS_TTL`]) and an instance's IP
//! addresses through its VNIC attachments ([`INSTANCE_IPS_TTL`]). Entries expire by age;
//! nothing is cached across a restart of the tool set. `oci_ping` shows the stats.
//!
//! The tool set's [`Caches`] live here with the types they hold ([`InstanceVnic`]), so the
//! toolbox that shares them and the domain modules that fill them both depend on this
//! module and it depends on neither.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oci_api::ops::identity::Compartment;
use schemars::JsonSchema;
use serde::Serialize;

/// How long the compartment tree is kept: compartments change rarely.
pub const COMPARTMENTS_TTL: Duration = Duration::from_secs(300);
/// How long an instance's IP addresses are kept: they change on VNIC changes only.
pub const INSTANCE_IPS_TTL: Duration = Duration::from_secs(120);

/// One attached VNIC of an instance: where its addresses and network rules are.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InstanceVnic {
    pub vnic_id: String,
    pub is_primary: Option<bool>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    pub subnet_id: Option<String>,
    /// Network security groups of the VNIC.
    pub nsg_ids: Vec<String>,
}

/// The caches the tool set shares across calls.
#[derive(Debug)]
pub struct Caches {
    /// The compartment tree by tenancy, for [`COMPARTMENTS_TTL`].
    pub compartments: TtlCache<Vec<Compartment>>,
    /// An instance's attached VNICs by instance, for [`INSTANCE_IPS_TTL`].
    pub instance_ips: TtlCache<Vec<InstanceVnic>>,
}

impl Caches {
    pub fn new() -> Self {
        Self {
            compartments: TtlCache::new("compartment tree", COMPARTMENTS_TTL),
            instance_ips: TtlCache::new("instance IPs", INSTANCE_IPS_TTL),
        }
    }

    /// What `oci_ping` shows: each cache's stats.
    pub fn stats(&self) -> Vec<CacheStats> {
        vec![self.compartments.stats(), self.instance_ips.stats()]
    }
}

/// Entries per cache; the oldest go first when it is full.
const CAPACITY: usize = 1024;

/// One cache of `V` by string key, with a fixed time to live.
#[derive(Debug)]
pub struct TtlCache<V> {
    name: &'static str,
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, V)>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What `oci_ping` shows of one cache.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CacheStats {
    pub name: &'static str,
    pub ttl_seconds: u64,
    pub entries: usize,
    pub hits: u64,
    pub misses: u64,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(name: &'static str, ttl: Duration) -> Self {
        Self {
            name,
            ttl,
            entries: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, V)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fresh value of `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<V> {
        let found = self
            .entries()
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, value)| value.clone());
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn put(&self, key: &str, value: V) {
        let mut entries = self.entries();
        entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        if entries.len() >= CAPACITY
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(key, _)| key.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(key.to_owned(), (Instant::now(), value));
    }

    /// The fresh value of `key`, or what `load` gives (kept only when it succeeds).
    pub async fn get_or_load<E, F>(&self, key: &str, load: F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.get(key) {
            return Ok(value);
        }
        let value = load.await?;
        self.put(key, value.clone());
        Ok(value)
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            name: self.name,
            ttl_seconds: self.ttl.as_secs(),
            entries: self
                .entries()
                .values()
                .filter(|(at, _)| at.elapsed() < self.ttl)
                .count(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_are_served_until_they_expire() {
        let cache = TtlCache::new("t", Duration::from_millis(50));
        let loaded: Result<u32, ()> = cache.get_or_load("k", async { Ok(1) }).await;
        assert_eq!(loaded, Ok(1));
        let again: Result<u32, ()> = cache.get_or_load("k", async { Ok(2) }).await;
        assert_eq!(again, Ok(1), "fresh: served from the cache");
        let failed: Result<u32, &str> = cache.get_or_load("other", async { Err("no") }).await;
        assert_eq!(failed, Err("no"));
        assert!(cache.get("other").is_none(), "failures are not kept");
        tokio::time::sleep(Duration::from_millis(60)).await;
        let expired: Result<u32, ()> = cache.get_or_load("k", async { Ok(3) }).await;
        assert_eq!(expired, Ok(3));
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.entries), (1, 1));
    }
}
