//! Bounded memories of what an agent has touched: a capped set of hashed
//! keys with least-recently-seen eviction (`KeySet`), and a short ring of
//! recent resource accesses for burst detection (`RecentResources`).
//!
//! Invariant: neither ever holds more entries than the cap it is given, so
//! a profile's size does not grow with the number of distinct resources,
//! prefixes or hosts an agent uses.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Hashed keys (see `observation::key`) with the hour each was last seen.
/// When full, the least recently seen key is forgotten; forgetting only
/// makes a later use look new again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeySet {
    entries: Vec<(u64, u32)>,
}

impl KeySet {
    pub fn contains(&self, key: u64) -> bool {
        self.entries.iter().any(|(k, _)| *k == key)
    }

    /// Remember `key` as seen at `hour`; returns true when it was new.
    pub fn touch(&mut self, key: u64, hour: i64, cap: usize) -> bool {
        let hour = u32::try_from(hour.max(0)).unwrap_or(u32::MAX);
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = entry.1.max(hour);
            return false;
        }
        self.trim(cap.saturating_sub(1));
        if cap > 0 {
            self.entries.push((key, hour));
        }
        true
    }

    /// Forget the least recently seen keys until at most `cap` remain.
    pub fn trim(&mut self, cap: usize) {
        while self.entries.len() > cap {
            let oldest = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, h))| *h)
                .map(|(i, _)| i);
            match oldest {
                Some(i) => {
                    self.entries.swap_remove(i);
                }
                None => break,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Heap bytes held (for the memory bound).
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<(u64, u32)>()
    }
}

/// The most recent resource accesses of one agent: (unix seconds, key).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecentResources {
    ring: VecDeque<(i64, u64)>,
}

impl RecentResources {
    pub fn push(&mut self, time: i64, key: u64, cap: usize) {
        while self.ring.len() >= cap.max(1) {
            self.ring.pop_front();
        }
        self.ring.push_back((time, key));
    }

    /// Distinct keys seen in `(now - window, now]`, counting `extra` (the
    /// access being scored) as one of them.
    pub fn distinct_within(&self, now: i64, window: i64, extra: Option<u64>) -> usize {
        let mut keys: Vec<u64> = self
            .ring
            .iter()
            .filter(|(t, _)| *t > now - window && *t <= now)
            .map(|(_, k)| *k)
            .chain(extra)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len()
    }

    pub fn trim(&mut self, cap: usize) {
        while self.ring.len() > cap {
            self.ring.pop_front();
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.ring.capacity() * std::mem::size_of::<(i64, u64)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_set_evicts_least_recently_seen() {
        let mut s = KeySet::default();
        assert!(s.touch(1, 10, 2));
        assert!(s.touch(2, 11, 2));
        assert!(!s.touch(1, 12, 2)); // 1 refreshed, 2 is now the oldest
        assert!(s.touch(3, 13, 2));
        assert!(s.contains(1) && s.contains(3) && !s.contains(2));
        assert_eq!(s.len(), 2);
        s.trim(1);
        assert!(s.contains(3) && !s.contains(1));
    }

    #[test]
    fn recent_resources_count_distinct_in_window() {
        let mut r = RecentResources::default();
        for (t, k) in [(0, 1), (100, 2), (200, 2), (300, 3)] {
            r.push(t, k, 3);
        }
        assert_eq!(r.ring.len(), 3); // (0, 1) fell out
        assert_eq!(r.distinct_within(300, 600, None), 2);
        assert_eq!(r.distinct_within(300, 600, Some(9)), 3);
        assert_eq!(r.distinct_within(300, 150, Some(3)), 2);
        assert_eq!(r.distinct_within(300, 50, Some(3)), 1);
    }

    proptest::proptest! {
        #[test]
        fn key_set_never_exceeds_its_cap(keys in proptest::collection::vec((0u64..50, 0i64..1000), 0..300), cap in 1usize..20) {
            let mut s = KeySet::default();
            for (k, h) in keys {
                s.touch(k, h, cap);
                proptest::prop_assert!(s.len() <= cap);
                proptest::prop_assert!(s.contains(k));
            }
        }
    }
}
