//! How busy one backend is: a bounded number of requests in flight (`max_concurrency`),
//! a bounded queue of requests waiting for a slot (`max_queue`), and refusal beyond that.
//! The gateway admits each forwarded request here; the counts show in reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Limits;

#[derive(Debug)]
pub struct Load {
    slots: Arc<Semaphore>,
    max_concurrency: usize,
    max_queue: usize,
    queued: AtomicUsize,
}

/// A request holds one of these while it is in flight at the backend.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// Every slot is taken and the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub in_flight: usize,
    pub queued: usize,
}

/// Counts a request as queued while it waits, whichever way the wait ends.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Load {
    pub fn new(limits: &Limits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.max_concurrency)),
            max_concurrency: limits.max_concurrency,
            max_queue: limits.max_queue,
            queued: AtomicUsize::new(0),
        }
    }

    /// A slot now, or once one frees up if there is room in the queue (first come, first
    /// served); `Busy` at once otherwise. Dropping the future leaves the queue.
    pub async fn admit(&self) -> Result<Slot, Busy> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(Slot { _permit: permit });
        }
        if self.queued.fetch_add(1, Ordering::Relaxed) >= self.max_queue {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(self.busy());
        }
        let _queued = Queued(&self.queued);
        match self.slots.clone().acquire_owned().await {
            Ok(permit) => Ok(Slot { _permit: permit }),
            // The semaphore is never closed.
            Err(_) => Err(self.busy()),
        }
    }

    fn busy(&self) -> Busy {
        Busy {
            in_flight: self.in_flight(),
            queued: self.queued(),
        }
    }

    pub fn in_flight(&self) -> usize {
        self.max_concurrency
            .saturating_sub(self.slots.available_permits())
    }

    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }

    pub fn max_queue(&self) -> usize {
        self.max_queue
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn slots_then_queue_then_busy() {
        let load = Arc::new(Load::new(&Limits {
            max_concurrency: 2,
            max_queue: 1,
            max_response_bytes: 4096,
        }));
        let first = load.admit().await.expect("slot 1");
        let _second = load.admit().await.expect("slot 2");
        assert_eq!(load.in_flight(), 2);
        let waiting = tokio::spawn({
            let load = load.clone();
            async move { load.admit().await.map(|_| ()) }
        });
        tokio::time::timeout(Duration::from_secs(5), async {
            while load.queued() == 0 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("queued");
        assert_eq!(
            load.admit().await.err(),
            Some(Busy {
                in_flight: 2,
                queued: 1
            })
        );
        drop(first);
        waiting
            .await
            .expect("join")
            .expect("admitted from the queue");
        assert_eq!(load.queued(), 0);
    }

    #[tokio::test]
    async fn a_cancelled_wait_leaves_the_queue() {
        let load = Load::new(&Limits {
            max_concurrency: 1,
            max_queue: 4,
            max_response_bytes: 4096,
        });
        let _slot = load.admit().await.expect("slot");
        let waited = tokio::time::timeout(Duration::from_millis(20), load.admit()).await;
        assert!(waited.is_err());
        assert_eq!(load.queued(), 0);
    }
}
