//! Call lineage: which decision a `traceparent` descends from.
//!
//! Every decision of a workflow call gets its own span id; the agent
//! receives it (and the upstream too) as the parent of what follows. A
//! later call whose `traceparent` names that span descends from the
//! decision: its causal depth is at least that decision's, one more when
//! another agent makes it. The map is bounded (oldest entries evicted) and
//! per process; the trace keeps every link durably.

use behavry_workflow::ParentDecision;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// A decision a later call can descend from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageEntry {
    pub decision_id: String,
    pub workflow: String,
    pub parent: ParentDecision,
}

#[derive(Debug)]
pub struct Lineage {
    capacity: usize,
    inner: Mutex<(HashMap<String, LineageEntry>, VecDeque<String>)>,
}

impl Lineage {
    pub fn new(capacity: usize) -> Self {
        Lineage {
            capacity: capacity.max(1),
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    /// Remember that `span` (hex span id) is the span of a decision.
    pub fn insert(&self, span: String, entry: LineageEntry) {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (map, order) = &mut *guard;
        if map.insert(span.clone(), entry).is_none() {
            order.push_back(span);
        }
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    /// The decision whose span is `span`, when it belongs to `workflow`.
    pub fn parent(&self, span: &str, workflow: &str) -> Option<LineageEntry> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard
            .0
            .get(span)
            .filter(|e| e.workflow == workflow)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use behavry_workflow::AgentRef;

    fn entry(n: u32, workflow: &str) -> LineageEntry {
        LineageEntry {
            decision_id: format!("d{n}"),
            workflow: workflow.into(),
            parent: ParentDecision {
                depth: n,
                agent: AgentRef::parse("a").unwrap(),
            },
        }
    }

    #[test]
    fn bounded_and_scoped_to_the_workflow() {
        let lineage = Lineage::new(2);
        lineage.insert("s1".into(), entry(1, "wf_a"));
        lineage.insert("s2".into(), entry(2, "wf_a"));
        assert_eq!(lineage.parent("s1", "wf_a").unwrap().decision_id, "d1");
        assert!(
            lineage.parent("s1", "wf_b").is_none(),
            "another workflow's span"
        );
        lineage.insert("s3".into(), entry(3, "wf_a"));
        assert!(lineage.parent("s1", "wf_a").is_none(), "oldest evicted");
        assert_eq!(lineage.parent("s3", "wf_a").unwrap().parent.depth, 3);
    }
}
