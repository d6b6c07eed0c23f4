//! What policy sees of a workflow (`input.workflow`) and the causal depth
//! of a call.
//!
//! Shape of `input.workflow` (documented in docs/workflows.md):
//! `{id, purpose, depth, delegation_depth, max_depth, chain: [{agent_id,
//! role, hop, expires}], scope: {tools, resources, flags}, budgets:
//! {counter: {used, limit}}, sensitive_reads: [{agent, resource, label,
//! at}], flow_alert: null | {mode, cross_agent, read}, trace_id}`.

use crate::budget::BudgetState;
use crate::chain::ChainInfo;
use crate::denial::WorkflowDenial;
use crate::flow::{FlowAlert, SensitiveRead};
use crate::ids::AgentRef;
use crate::traceparent::TraceParent;
use serde_json::{json, Value};

/// The recorded decision a call descends from (found by the gateway from
/// the trace context's parent id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentDecision {
    /// The causal depth recorded with that decision.
    pub depth: u32,
    /// The agent that made it.
    pub agent: AgentRef,
}

/// Causal depth of a call: the deeper of its delegation depth and its call
/// lineage, where a call made by another agent than its parent decision's
/// is one level deeper than that decision.
pub fn causal_depth(
    delegation_depth: u32,
    presenter: &AgentRef,
    parent: Option<&ParentDecision>,
) -> u32 {
    let lineage = parent.map_or(0, |p| {
        if &p.agent == presenter {
            p.depth
        } else {
            p.depth.saturating_add(1)
        }
    });
    delegation_depth.max(lineage)
}

/// Deny a causal depth above `max`.
pub fn check_causal_depth(depth: u32, max: u32) -> Result<(), WorkflowDenial> {
    if depth > max {
        Err(WorkflowDenial::DepthExceeded { depth, max })
    } else {
        Ok(())
    }
}

/// Everything `input.workflow` is built from.
#[derive(Debug, Clone)]
pub struct WorkflowContext<'a> {
    pub chain: &'a ChainInfo,
    /// Role of each hop's agent, from the agent directory, in chain order.
    pub roles: Vec<Option<String>>,
    /// Causal depth (at least the delegation depth).
    pub depth: u32,
    /// The deployment and workflow depth limit in force.
    pub max_depth: u32,
    pub budgets: Option<BudgetState>,
    pub sensitive_reads: Vec<SensitiveRead>,
    pub flow_alert: Option<FlowAlert>,
    pub trace: Option<TraceParent>,
}

impl<'a> WorkflowContext<'a> {
    /// A context with only what the chain itself says.
    pub fn new(chain: &'a ChainInfo) -> Self {
        WorkflowContext {
            chain,
            roles: Vec::new(),
            depth: chain.depth,
            max_depth: chain.max_depth,
            budgets: None,
            sensitive_reads: Vec::new(),
            flow_alert: None,
            trace: None,
        }
    }

    /// The JSON value for `input.workflow`.
    pub fn to_policy_value(&self) -> Value {
        let chain: Vec<Value> = self
            .chain
            .chain
            .iter()
            .enumerate()
            .map(|(hop, h)| {
                json!({
                    "agent_id": h.delegatee.as_str(),
                    "role": self.roles.get(hop).cloned().flatten(),
                    "hop": hop,
                    "expires": h.expires,
                })
            })
            .collect();
        let scope = &self.chain.effective_scope;
        let budgets = self
            .budgets
            .map(|b| b.to_policy_value())
            .unwrap_or(Value::Null);
        let reads: Vec<Value> = self
            .sensitive_reads
            .iter()
            .map(|r| {
                json!({
                    "agent": r.agent.as_str(),
                    "resource": r.resource,
                    "label": r.label,
                    "at": r.at,
                })
            })
            .collect();
        let flow_alert = self.flow_alert.as_ref().map_or(Value::Null, |a| {
            json!({
                "mode": a.mode,
                "cross_agent": a.cross_agent,
                "read": {
                    "agent": a.read.agent.as_str(),
                    "resource": a.read.resource,
                    "label": a.read.label,
                    "at": a.read.at,
                },
            })
        });
        json!({
            "id": self.chain.workflow_id.as_str(),
            "purpose": self.chain.purpose,
            "depth": self.depth,
            "delegation_depth": self.chain.depth,
            "max_depth": self.max_depth,
            "chain": chain,
            "scope": {
                "tools": scope.tools.to_strings(),
                "resources": scope.resources.to_strings(),
                "flags": scope.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            },
            "budgets": budgets,
            "sensitive_reads": reads,
            "flow_alert": flow_alert,
            "trace_id": self.trace.map(|t| t.trace_id_hex()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causal_depth_table() {
        let a = AgentRef::parse("a").unwrap();
        let b = AgentRef::parse("b").unwrap();
        let parent_a = ParentDecision {
            depth: 2,
            agent: a.clone(),
        };
        assert_eq!(causal_depth(1, &a, None), 1);
        assert_eq!(causal_depth(1, &a, Some(&parent_a)), 2);
        assert_eq!(causal_depth(1, &b, Some(&parent_a)), 3);
        assert_eq!(causal_depth(5, &b, Some(&parent_a)), 5);
        assert_eq!(check_causal_depth(3, 3), Ok(()));
        assert_eq!(
            check_causal_depth(4, 3),
            Err(WorkflowDenial::DepthExceeded { depth: 4, max: 3 })
        );
    }
}
