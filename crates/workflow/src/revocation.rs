//! Revocation: of single delegations (by a block's revocation id) and of
//! whole workflows (the kill switch).
//!
//! A revocation id is a block's signature. Every token delegated from a
//! token contains that token's blocks unchanged, so revoking one id
//! invalidates the token that introduced the block and everything delegated
//! from it; revoking the root block's id stops the whole workflow.
//!
//! `RevocationSet` is an immutable-by-convention value: the gateway keeps
//! it behind a snapshot pointer and swaps in a new one when an operator
//! revokes, so the per-call check never waits.

use crate::ids::{RevocationId, WorkflowId};
use std::collections::HashSet;

/// What the per-call verification asks about revocation.
pub trait RevocationCheck {
    /// Has this block been revoked?
    fn is_revoked(&self, id: &RevocationId) -> bool;
    /// Has this workflow been stopped?
    fn is_killed(&self, workflow: &WorkflowId) -> bool;
}

/// Revoked block ids and stopped workflows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationSet {
    revoked: HashSet<RevocationId>,
    killed: HashSet<WorkflowId>,
}

impl RevocationSet {
    pub fn new() -> Self {
        RevocationSet::default()
    }

    /// Revoke one delegation (and everything delegated from it).
    pub fn revoke(&mut self, id: RevocationId) -> bool {
        self.revoked.insert(id)
    }

    /// Stop a whole workflow.
    pub fn kill(&mut self, workflow: WorkflowId) -> bool {
        self.killed.insert(workflow)
    }

    /// Release a stopped workflow (revoked delegations stay revoked).
    pub fn release(&mut self, workflow: &WorkflowId) -> bool {
        self.killed.remove(workflow)
    }

    pub fn revoked_len(&self) -> usize {
        self.revoked.len()
    }
}

impl RevocationCheck for RevocationSet {
    fn is_revoked(&self, id: &RevocationId) -> bool {
        self.revoked.contains(id)
    }

    fn is_killed(&self, workflow: &WorkflowId) -> bool {
        self.killed.contains(workflow)
    }
}

/// Nothing revoked: for tools that verify a token without the gateway's list.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRevocations;

impl RevocationCheck for NoRevocations {
    fn is_revoked(&self, _: &RevocationId) -> bool {
        false
    }

    fn is_killed(&self, _: &WorkflowId) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoke_kill_release() {
        let mut set = RevocationSet::new();
        let id = RevocationId::from_bytes(&[7; 64]);
        let wf = WorkflowId::parse("wf_1").unwrap();
        assert!(!set.is_revoked(&id) && !set.is_killed(&wf));
        assert!(set.revoke(id.clone()));
        assert!(!set.revoke(id.clone()));
        assert!(set.kill(wf.clone()));
        assert!(set.is_revoked(&id) && set.is_killed(&wf));
        assert!(set.release(&wf));
        assert!(!set.is_killed(&wf) && set.is_revoked(&id));
        assert_eq!(set.revoked_len(), 1);
    }
}
