//! Failed sign-in throttling: one token bucket per operator name and one
//! per client address, in memory. Each failure takes a token; while any
//! bucket of an attempt is empty the attempt is refused before a password
//! is checked. Buckets refill steadily, so a locked-out name recovers on
//! its own. The map is pruned of full buckets so it cannot grow without
//! bound.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before full ones are pruned.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct LoginLimiter {
    capacity: f64,
    refill_every: Duration,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Default for LoginLimiter {
    /// Five failures at once, then one more every twelve seconds.
    fn default() -> Self {
        LoginLimiter::new(5, Duration::from_secs(12))
    }
}

impl LoginLimiter {
    pub fn new(capacity: u32, refill_every: Duration) -> Self {
        LoginLimiter {
            capacity: f64::from(capacity.max(1)),
            refill_every: refill_every.max(Duration::from_millis(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `true` when every key still has a token (the attempt may proceed).
    pub fn allows(&self, keys: &[String]) -> bool {
        self.allows_at(keys, Instant::now())
    }

    /// Take one token from each key's bucket.
    pub fn record_failure(&self, keys: &[String]) {
        self.record_failure_at(keys, Instant::now());
    }

    fn allows_at(&self, keys: &[String], now: Instant) -> bool {
        let Ok(buckets) = self.buckets.lock() else {
            return false;
        };
        keys.iter()
            .all(|k| buckets.get(k).is_none_or(|b| self.refilled(*b, now) >= 1.0))
    }

    fn record_failure_at(&self, keys: &[String], now: Instant) {
        let Ok(mut buckets) = self.buckets.lock() else {
            return;
        };
        if buckets.len() > PRUNE_ABOVE {
            let capacity = self.capacity;
            buckets.retain(|_, b| self.refilled(*b, now) < capacity);
        }
        for key in keys {
            let current = buckets
                .get(key)
                .map_or(self.capacity, |b| self.refilled(*b, now));
            buckets.insert(
                key.clone(),
                Bucket {
                    tokens: (current - 1.0).max(0.0),
                    at: now,
                },
            );
        }
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.tokens + elapsed / self.refill_every.as_secs_f64()).min(self.capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_exhaust_a_bucket_which_then_refills() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        let alice = vec!["name:alice".to_string(), "ip:10.0.0.1".to_string()];
        let bob = vec!["name:bob".to_string(), "ip:10.0.0.2".to_string()];
        for _ in 0..3 {
            assert!(limiter.allows_at(&alice, t0));
            limiter.record_failure_at(&alice, t0);
        }
        assert!(!limiter.allows_at(&alice, t0), "fourth attempt refused");
        assert!(
            limiter.allows_at(&bob, t0),
            "other names and addresses unaffected"
        );
        let same_ip = vec!["name:carol".to_string(), "ip:10.0.0.1".to_string()];
        assert!(
            !limiter.allows_at(&same_ip, t0),
            "the address bucket is empty too"
        );
        assert!(!limiter.allows_at(&alice, t0 + Duration::from_secs(9)));
        assert!(limiter.allows_at(&alice, t0 + Duration::from_secs(10)));
    }

    #[test]
    fn the_map_is_pruned_of_full_buckets() {
        let limiter = LoginLimiter::new(1, Duration::from_millis(1));
        let t0 = Instant::now();
        for i in 0..=PRUNE_ABOVE {
            limiter.record_failure_at(&[format!("k{i}")], t0);
        }
        limiter.record_failure_at(&["last".to_string()], t0 + Duration::from_secs(1));
        assert!(limiter.buckets.lock().unwrap().len() < 10);
    }
}
