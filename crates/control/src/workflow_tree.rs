//! A workflow's decisions read back from the trace as a tree: each
//! decision under the decision it descends from (`workflow.parent_decision`,
//! set when a call's `traceparent` named an earlier decision's span),
//! roots in time order, each with its outcome and approval actions.

use behavry_core::{CallOutcome, TraceEvent, TraceEventKind};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// One decision of the workflow, with what followed it.
#[derive(Debug, Clone)]
struct Node {
    seq: u64,
    value: Value,
    parent: Option<String>,
    events: Vec<Value>,
}

/// The decisions of `workflow` among `events` (ascending sequence order),
/// as a forest: `[{decision_id, seq, time, agent, role, tool, verdict,
/// reasons, depth, chain, parent_decision, outcome, approvals, children}]`.
pub fn workflow_tree(events: &[(u64, TraceEvent)], workflow: &str) -> Vec<Value> {
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    for (seq, event) in events {
        let id = event.decision_id.0.clone();
        match &event.event {
            TraceEventKind::Decision {
                agent,
                upstream,
                tool,
                verdict,
                reasons,
                workflow: Some(w),
                ..
            } if w.get("id").and_then(Value::as_str) == Some(workflow) => {
                let chain: Vec<Value> = w
                    .get("chain")
                    .and_then(Value::as_array)
                    .map(|c| {
                        c.iter()
                            .filter_map(|h| h.get("agent_id").cloned())
                            .collect()
                    })
                    .unwrap_or_default();
                let parent = w
                    .get("parent_decision")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                nodes.insert(
                    id.clone(),
                    Node {
                        seq: *seq,
                        parent: parent.clone(),
                        events: Vec::new(),
                        value: json!({
                            "decision_id": id,
                            "seq": seq,
                            "time": event
                                .time
                                .format(&time::format_description::well_known::Rfc3339)
                                .ok(),
                            "agent": agent.name,
                            "role": agent.role,
                            "tool": format!("{upstream}.{tool}"),
                            "verdict": verdict,
                            "reasons": reasons.iter().map(|r| r.message.clone()).collect::<Vec<_>>(),
                            "depth": w.get("depth"),
                            "chain": chain,
                            "span_id": w.get("span_id"),
                            "parent_decision": parent,
                            "budgets": w.get("budgets"),
                            "flow_alert": w.get("flow_alert"),
                        }),
                    },
                );
            }
            TraceEventKind::Outcome { outcome } => {
                if let Some(node) = nodes.get_mut(&id) {
                    node.value["outcome"] = outcome_value(outcome);
                }
            }
            TraceEventKind::Approval {
                action, operator, ..
            } => {
                if let Some(node) = nodes.get_mut(&id) {
                    node.events
                        .push(json!({"action": action, "operator": operator}));
                }
            }
            _ => {}
        }
    }
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    let mut roots = Vec::new();
    for (id, node) in &nodes {
        match &node.parent {
            Some(p) if nodes.contains_key(p) && p != id => {
                children.entry(p.clone()).or_default().push(id.clone())
            }
            _ => roots.push(id.clone()),
        }
    }
    let by_seq = |ids: &mut Vec<String>| {
        ids.sort_by_key(|id| nodes.get(id).map_or(0, |n| n.seq));
    };
    by_seq(&mut roots);
    for ids in children.values_mut() {
        by_seq(ids);
    }
    roots
        .iter()
        .map(|id| build(id, &nodes, &children, 0))
        .collect()
}

fn build(
    id: &str,
    nodes: &BTreeMap<String, Node>,
    children: &HashMap<String, Vec<String>>,
    level: usize,
) -> Value {
    let Some(node) = nodes.get(id) else {
        return Value::Null;
    };
    let mut value = node.value.clone();
    value["approvals"] = Value::Array(node.events.clone());
    // Parent links come from the trace, so they cannot loop; the level
    // bound only protects against a corrupted record.
    let kids: Vec<Value> = if level < 64 {
        children
            .get(id)
            .into_iter()
            .flatten()
            .map(|c| build(c, nodes, children, level + 1))
            .collect()
    } else {
        Vec::new()
    };
    value["children"] = Value::Array(kids);
    value
}

fn outcome_value(outcome: &CallOutcome) -> Value {
    match outcome {
        CallOutcome::Completed { is_error, .. } => {
            json!(if *is_error {
                "completed_with_error"
            } else {
                "completed"
            })
        }
        CallOutcome::UpstreamFailed { .. } => json!("upstream_failed"),
        CallOutcome::Blocked { .. } => json!("blocked"),
        CallOutcome::Cancelled => json!("cancelled"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use behavry_core::{AgentId, AgentIdentity, CallKind, DecisionId, Reason, Verdict};
    use time::OffsetDateTime;

    fn decision(id: &str, agent: &str, workflow: &str, parent: Option<&str>) -> TraceEvent {
        TraceEvent {
            decision_id: DecisionId(id.into()),
            time: OffsetDateTime::UNIX_EPOCH,
            event: TraceEventKind::Decision {
                agent: AgentIdentity {
                    id: AgentId(format!("id-{agent}")),
                    name: agent.into(),
                    role: "r".into(),
                    labels: Default::default(),
                    owner: None,
                },
                method: CallKind::ToolsCall,
                upstream: "db".into(),
                tool: "query".into(),
                arguments: json!({}),
                verdict: Verdict::Allow,
                reasons: vec![Reason::policy("ok")],
                policy_revision: "r1".into(),
                eval_micros: 1,
                session_id: None,
                approval_id: None,
                risk: None,
                scan: None,
                workflow: Some(
                    json!({"id": workflow, "depth": 0, "parent_decision": parent,
                    "chain": [{"agent_id": agent}]}),
                ),
            },
        }
    }

    #[test]
    fn decisions_nest_under_their_parents_and_other_workflows_are_left_out() {
        let outcome = TraceEvent {
            decision_id: DecisionId("b".into()),
            time: OffsetDateTime::UNIX_EPOCH,
            event: TraceEventKind::Outcome {
                outcome: CallOutcome::Blocked { reason: "x".into() },
            },
        };
        let events = vec![
            (1, decision("a", "orchestrator", "wf_1", None)),
            (2, decision("x", "other", "wf_2", None)),
            (3, decision("b", "researcher", "wf_1", Some("a"))),
            (4, outcome),
            (5, decision("c", "mailer", "wf_1", Some("b"))),
            (6, decision("d", "mailer", "wf_1", Some("missing"))),
        ];
        let tree = workflow_tree(&events, "wf_1");
        let roots: Vec<&str> = tree
            .iter()
            .map(|n| n["decision_id"].as_str().unwrap())
            .collect();
        assert_eq!(roots, ["a", "d"], "a parent outside the trace makes a root");
        let b = &tree[0]["children"][0];
        assert_eq!(
            (b["decision_id"].as_str(), b["outcome"].as_str()),
            (Some("b"), Some("blocked"))
        );
        assert_eq!(b["children"][0]["decision_id"], "c");
        assert_eq!(b["children"][0]["agent"], "mailer");
    }
}
