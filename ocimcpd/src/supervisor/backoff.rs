//! Restart delays: exponential from `min` to `max`, with jitter so backends that died
//! together do not restart in lockstep.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max: max.max(min),
            attempt: 0,
        }
    }

    /// The next delay: `min·2^attempt` capped at `max`, then drawn from its upper half.
    pub fn next_delay(&mut self) -> Duration {
        let base = self
            .min
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        base.mul_f64(0.5 + 0.5 * random_fraction())
    }

    /// Back to `min` after the backend has run well for a while.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// How long a backend must stay up before its next failure counts as a fresh one.
    pub fn settle_time(&self) -> Duration {
        self.max
    }
}

/// A number in [0, 1) from the standard library's randomly keyed hasher.
fn random_fraction() -> f64 {
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_within_bounds() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<Duration> = (0..8).map(|_| backoff.next_delay()).collect();
        for (i, d) in delays.iter().enumerate() {
            let base = Duration::from_millis(100 * (1 << i)).min(Duration::from_secs(1));
            assert!(
                *d >= base / 2 && *d <= base,
                "attempt {i}: {d:?} not in [{:?}, {base:?}]",
                base / 2
            );
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }
}
