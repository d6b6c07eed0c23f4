//! Fan-out: how many distinct sub-agents each hop delegates to, and how
//! many distinct agents a workflow involves.
//!
//! Delegation is offline, so Behavry learns of an edge (a parent hop
//! delegating to an agent) when a token carrying it is first presented.
//! Every verified chain registers its edges; an edge that would give a
//! parent more distinct delegatees than the workflow allows (or the
//! workflow more distinct agents) is refused, and nothing of that chain is
//! recorded. Re-delegating to an agent already counted costs nothing.

use crate::chain::Hop;
use crate::ids::{AgentRef, RevocationId};
use std::collections::{BTreeSet, HashMap};

/// Fan-out limits for one workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanoutLimits {
    /// Distinct delegatees per parent hop.
    pub per_hop: u32,
    /// Distinct agents in the whole workflow, root included; `None`: unbounded.
    pub agents: Option<u32>,
}

/// Which fan-out limit a chain would break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FanoutExceeded {
    #[error("hop {hop} already delegates to {count} agents (limit {max})")]
    PerHop { hop: usize, count: usize, max: u32 },
    #[error("the workflow already involves {count} agents (limit {max})")]
    Agents { count: usize, max: u32 },
}

/// One workflow's delegation edges.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FanoutLedger {
    children: HashMap<RevocationId, BTreeSet<AgentRef>>,
    agents: BTreeSet<AgentRef>,
}

impl FanoutLedger {
    /// Record the edges of `chain` if they keep within `limits`.
    pub fn register(&mut self, chain: &[Hop], limits: FanoutLimits) -> Result<(), FanoutExceeded> {
        self.check(chain, limits)?;
        self.apply(chain);
        Ok(())
    }

    /// Would `chain` keep within `limits`? Changes nothing.
    pub fn check(&self, chain: &[Hop], limits: FanoutLimits) -> Result<(), FanoutExceeded> {
        if let Some(max) = limits.agents {
            let new_agents: BTreeSet<&AgentRef> = chain
                .iter()
                .map(|hop| &hop.delegatee)
                .filter(|agent| !self.agents.contains(*agent))
                .collect();
            if self.agents.len() + new_agents.len() > max as usize {
                return Err(FanoutExceeded::Agents {
                    count: self.agents.len(),
                    max,
                });
            }
        }
        for (index, pair) in chain.windows(2).enumerate() {
            let [parent, child] = pair else { continue };
            let existing = self.children.get(&parent.revocation_id);
            let known = existing.is_some_and(|set| set.contains(&child.delegatee));
            let count = existing.map_or(0, BTreeSet::len);
            if !known && count + 1 > limits.per_hop as usize {
                return Err(FanoutExceeded::PerHop {
                    hop: index,
                    count,
                    max: limits.per_hop,
                });
            }
        }
        Ok(())
    }

    /// Record the edges of `chain` (after `check`).
    pub fn apply(&mut self, chain: &[Hop]) {
        for pair in chain.windows(2) {
            let [parent, child] = pair else { continue };
            let children = self
                .children
                .entry(parent.revocation_id.clone())
                .or_default();
            if !children.contains(&child.delegatee) {
                children.insert(child.delegatee.clone());
            }
        }
        for hop in chain {
            if !self.agents.contains(&hop.delegatee) {
                self.agents.insert(hop.delegatee.clone());
            }
        }
    }

    /// Distinct agents seen in this workflow.
    pub fn agents(&self) -> &BTreeSet<AgentRef> {
        &self.agents
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    fn hop(agent: &str, id: u8) -> Hop {
        Hop {
            delegatee: AgentRef::parse(agent).unwrap(),
            scope: Scope::everything(),
            expires: 0,
            revocation_id: RevocationId::from_bytes(&[id; 64]),
        }
    }

    #[test]
    fn per_hop_limit_counts_distinct_children() {
        let limits = FanoutLimits {
            per_hop: 2,
            agents: None,
        };
        let mut ledger = FanoutLedger::default();
        let root = hop("orchestrator", 0);
        assert!(ledger
            .register(&[root.clone(), hop("a", 1)], limits)
            .is_ok());
        assert!(ledger
            .register(&[root.clone(), hop("b", 2)], limits)
            .is_ok());
        // Same child again, through another token: not a new edge.
        assert!(ledger
            .register(&[root.clone(), hop("a", 3)], limits)
            .is_ok());
        assert_eq!(
            ledger.register(&[root.clone(), hop("c", 4)], limits),
            Err(FanoutExceeded::PerHop {
                hop: 0,
                count: 2,
                max: 2
            })
        );
        // A different parent hop has its own count.
        assert!(ledger
            .register(&[root, hop("a", 1), hop("c", 5)], limits)
            .is_ok());
    }

    #[test]
    fn agent_limit_is_all_or_nothing() {
        let limits = FanoutLimits {
            per_hop: 10,
            agents: Some(2),
        };
        let mut ledger = FanoutLedger::default();
        let root = hop("orchestrator", 0);
        assert!(ledger
            .register(&[root.clone(), hop("a", 1)], limits)
            .is_ok());
        assert!(matches!(
            ledger.register(&[root.clone(), hop("b", 2)], limits),
            Err(FanoutExceeded::Agents { max: 2, .. })
        ));
        assert_eq!(ledger.agents().len(), 2);
        assert!(ledger.register(&[root], limits).is_ok());
    }
}
