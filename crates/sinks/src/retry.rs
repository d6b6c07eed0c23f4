//! Exponential back-off with jitter between delivery attempts, never shorter
//! than what a receiver asked for with `Retry-After` (capped so that a
//! misbehaving receiver cannot park a sink for days).

use rand::Rng as _;
use std::time::Duration;

/// Longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            attempt: 0,
        }
    }

    /// The number of consecutive failures so far.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The wait before the next attempt: `base * 2^n` capped at `max`,
    /// uniformly jittered into its upper half, and at least `retry_after`.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = exp / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis() as u64);
        let delay = half + Duration::from_millis(jitter);
        match retry_after {
            Some(asked) => delay.max(asked.min(MAX_RETRY_AFTER)),
            None => delay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn delays_stay_within_bounds(attempts in 0u32..40, asked in proptest::option::of(0u64..2000)) {
            let base = Duration::from_millis(100);
            let max = Duration::from_secs(30);
            let mut b = Backoff::new(base, max);
            for _ in 0..attempts {
                b.next_delay(None);
            }
            let exp = base.saturating_mul(1u32 << attempts.min(20)).min(max);
            let asked = asked.map(Duration::from_secs);
            let d = b.next_delay(asked);
            prop_assert!(d >= exp / 2);
            let ceiling = exp.max(asked.map(|a| a.min(MAX_RETRY_AFTER)).unwrap_or_default());
            prop_assert!(d <= ceiling);
            if let Some(a) = asked {
                prop_assert!(d >= a.min(MAX_RETRY_AFTER));
            }
        }
    }

    #[test]
    fn grows_then_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        let first = b.next_delay(None);
        assert!(first <= Duration::from_millis(100));
        for _ in 0..10 {
            b.next_delay(None);
        }
        assert!(b.next_delay(None) >= Duration::from_secs(5));
        b.reset();
        assert_eq!(b.attempts(), 0);
        assert!(b.next_delay(None) <= Duration::from_millis(100));
    }
}
