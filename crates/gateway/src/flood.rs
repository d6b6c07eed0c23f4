//! Protection against approval flooding: a per-agent token bucket on new
//! approval requests (identical pending requests are de-duplicated before
//! this point, so they cost nothing).

use behavry_core::AgentId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct ApprovalRateLimit {
    per_minute: f64,
    buckets: Mutex<HashMap<AgentId, (f64, Instant)>>,
}

impl ApprovalRateLimit {
    pub fn new(per_minute: u32) -> Self {
        ApprovalRateLimit {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one token for `agent` at `now`; `false` when the agent has used
    /// its allowance (fail closed on a poisoned lock).
    pub fn try_take(&self, agent: &AgentId, now: Instant) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return false;
        };
        let capacity = self.per_minute;
        let (tokens, last) = buckets.entry(agent.clone()).or_insert((capacity, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * capacity / 60.0;
        *tokens = (*tokens + refill).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_a_burst_up_to_the_rate_then_refills() {
        let limit = ApprovalRateLimit::new(3);
        let a = AgentId("a".into());
        let b = AgentId("b".into());
        let t0 = Instant::now();
        assert!((0..3).all(|_| limit.try_take(&a, t0)));
        assert!(!limit.try_take(&a, t0));
        assert!(limit.try_take(&b, t0), "agents have separate buckets");
        assert!(!limit.try_take(&a, t0 + Duration::from_secs(10)));
        assert!(limit.try_take(&a, t0 + Duration::from_secs(21)));
    }
}
