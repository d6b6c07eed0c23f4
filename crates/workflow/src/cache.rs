//! A bounded cache of parsed tokens, keyed by the SHA-256 of the token text.
//!
//! Only what depends on the token bytes alone is cached (signatures
//! verified, hops read); presenter, time and revocation are checked on
//! every call. Bounded by two generations: lookups search both, a hit in
//! the old one is promoted, and when the young one is full it becomes the
//! old one (dropping the previous old one). At most `capacity`
//! entries are held.

use crate::chain::ParsedToken;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Key = [u8; 32];

#[derive(Default)]
struct Generations {
    young: HashMap<Key, Arc<ParsedToken>>,
    old: HashMap<Key, Arc<ParsedToken>>,
}

pub(crate) struct TokenCache {
    generation_size: usize,
    inner: Mutex<Generations>,
}

impl TokenCache {
    pub fn new(capacity: usize) -> Self {
        TokenCache {
            generation_size: capacity / 2,
            inner: Mutex::new(Generations::default()),
        }
    }

    fn key(token: &str) -> Key {
        Sha256::digest(token.trim().as_bytes()).into()
    }

    pub fn get(&self, token: &str) -> Option<Arc<ParsedToken>> {
        if self.generation_size == 0 {
            return None;
        }
        let key = Self::key(token);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = inner.young.get(&key) {
            return Some(Arc::clone(found));
        }
        let found = inner.old.remove(&key)?;
        self.insert_locked(&mut inner, key, Arc::clone(&found));
        Some(found)
    }

    pub fn insert(&self, token: &str, parsed: Arc<ParsedToken>) {
        if self.generation_size == 0 {
            return;
        }
        let key = Self::key(token);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        self.insert_locked(&mut inner, key, parsed);
    }

    fn insert_locked(&self, inner: &mut Generations, key: Key, parsed: Arc<ParsedToken>) {
        if inner.young.len() >= self.generation_size {
            inner.old = std::mem::take(&mut inner.young);
        }
        inner.young.insert(key, parsed);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.young.len() + inner.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::read_chain;
    use crate::verify::default_run_limits;
    use crate::{AgentRef, BudgetLimits, Scope, StartRequest, WorkflowAuthority, WorkflowId};
    use time::OffsetDateTime;

    fn parsed(authority: &WorkflowAuthority, n: u32) -> (String, Arc<ParsedToken>) {
        let now = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        let root = authority
            .mint(
                &StartRequest {
                    workflow: WorkflowId::parse(&format!("wf_{n}")).unwrap(),
                    purpose: "cache".into(),
                    starter: AgentRef::parse("a").unwrap(),
                    requested: Scope::everything(),
                    ceiling: Scope::everything(),
                    expires: now + time::Duration::hours(1),
                    max_depth: 3,
                    max_fanout: 3,
                    budgets: BudgetLimits::default(),
                },
                now,
            )
            .unwrap();
        let token = root.token.to_string();
        let parsed = read_chain(&token, authority.public_key(), &default_run_limits()).unwrap();
        (token, Arc::new(parsed))
    }

    #[test]
    fn bounded_with_promotion() {
        let authority = WorkflowAuthority::generate();
        let cache = TokenCache::new(4);
        let tokens: Vec<_> = (0..5).map(|n| parsed(&authority, n)).collect();
        for (token, parsed) in &tokens[..2] {
            cache.insert(token, Arc::clone(parsed));
        }
        // The young generation is full: the next insert retires it.
        cache.insert(&tokens[2].0, Arc::clone(&tokens[2].1));
        assert_eq!(cache.len(), 3);
        // A hit in the old generation is promoted.
        assert!(cache.get(&tokens[0].0).is_some());
        cache.insert(&tokens[3].0, Arc::clone(&tokens[3].1));
        cache.insert(&tokens[4].0, Arc::clone(&tokens[4].1));
        assert!(cache.len() <= 4);
        assert!(cache.get(&tokens[4].0).is_some());
        assert!(cache.get(&tokens[1].0).is_none());
        let disabled = TokenCache::new(0);
        disabled.insert(&tokens[0].0, Arc::clone(&tokens[0].1));
        assert!(disabled.get(&tokens[0].0).is_none());
    }
}
