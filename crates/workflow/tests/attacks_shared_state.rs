//! The attack suite, shared state: budgets split across agents, fan-out
//! beyond the workflow's limit, and a sensitive read by one agent followed
//! by a send by another. Each attempt must be refused with its own reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use behavry_workflow::{
    BudgetLimits, Charge, Counter, FanoutExceeded, FlowMode, FlowRule, FlowTracker, LedgerError,
    MemoryBudgetStore, NoRevocations, SensitiveRead, StartRequest, WorkflowAuthority,
    WorkflowBudget,
};
use common::*;

#[test]
fn budget_exhaustion_split_across_agents_is_refused() {
    let authority = WorkflowAuthority::generate();
    let mut limits = BudgetLimits::default();
    limits.set(Counter::EmailsSent, Some(3));
    limits.set(Counter::Calls, Some(100));
    let root = authority
        .mint(
            &StartRequest {
                budgets: limits,
                ..start_request(
                    "orchestrator",
                    scope(&["email.send"], &["*"], &["outbound"]),
                    behavry_workflow::Scope::everything(),
                )
            },
            at(0),
        )
        .unwrap()
        .token
        .to_string();
    let v = verifier(&authority);
    let store = MemoryBudgetStore::new();
    let senders: Vec<(String, String)> = ["mailer-a", "mailer-b", "mailer-c", "mailer-d"]
        .iter()
        .map(|a| {
            (
                a.to_string(),
                delegate(
                    &authority,
                    &root,
                    a,
                    scope(&["email.send"], &["*"], &["outbound"]),
                ),
            )
        })
        .collect();
    let send = Charge {
        amounts: behavry_workflow::Counts {
            calls: 1,
            emails_sent: 1,
            ..Default::default()
        },
        ..Charge::default()
    };
    let mut outcomes = Vec::new();
    for (agent, token) in &senders {
        let chain = v.verify(token, agent, at(10), &NoRevocations).unwrap();
        let budget = WorkflowBudget::of(&chain, None);
        outcomes.push(store.admit_now(&budget, &chain.chain, &send));
    }
    assert!(outcomes[..3].iter().all(Result::is_ok));
    match &outcomes[3] {
        Err(LedgerError::Budget(exceeded)) => {
            assert_eq!(exceeded.counter, Counter::EmailsSent);
            assert_eq!((exceeded.used, exceeded.limit), (3, 3));
        }
        other => panic!("expected the e-mail budget to be exhausted, got {other:?}"),
    }
}

#[test]
fn fan_out_beyond_the_workflow_limit_is_refused() {
    let authority = WorkflowAuthority::generate();
    let root = root_token(&authority);
    let v = verifier(&authority);
    let store = MemoryBudgetStore::new();
    let mut results = Vec::new();
    for i in 0..5 {
        let name = format!("worker-{i}");
        let token = delegate(
            &authority,
            &root,
            &name,
            scope(&["database.query"], &[], &[]),
        );
        let chain = v.verify(&token, &name, at(10), &NoRevocations).unwrap();
        let budget = WorkflowBudget::of(&chain, None);
        results.push(store.admit_now(&budget, &chain.chain, &Charge::call()));
    }
    assert!(results[..4].iter().all(Result::is_ok));
    assert_eq!(
        results[4],
        Err(LedgerError::Fanout(FanoutExceeded::PerHop {
            hop: 0,
            count: 4,
            max: 4
        }))
    );
    assert_eq!(
        results[4].as_ref().unwrap_err().code(),
        "workflow_fanout_exceeded"
    );
}

#[test]
fn sensitive_read_by_one_agent_then_send_by_another_is_caught() {
    let authority = WorkflowAuthority::generate();
    let (_, researcher, mailer) = pipeline(&authority);
    let v = verifier(&authority);
    let tracker = FlowTracker::new();
    let research = v
        .verify(&researcher, "researcher", at(10), &NoRevocations)
        .unwrap();
    tracker.record_read(
        &research.workflow_id,
        SensitiveRead {
            agent: agent("researcher"),
            resource: "database.query".into(),
            label: "pii".into(),
            at: (T0 + 10) as u64,
            decision_id: Some("d-1".into()),
        },
    );
    let send = v.verify(&mailer, "mailer", at(20), &NoRevocations).unwrap();
    assert_eq!(send.workflow_id, research.workflow_id);
    let alert = tracker
        .check_outbound(
            &FlowRule::default(),
            &send.workflow_id,
            &agent("mailer"),
            (T0 + 20) as u64,
        )
        .expect("the send must raise an alert");
    assert_eq!(alert.mode, FlowMode::Intercept);
    assert!(alert.cross_agent);
    assert_eq!(alert.read.agent.as_str(), "researcher");
    let deny_rule = FlowRule {
        mode: FlowMode::Deny,
        ..FlowRule::default()
    };
    let alert = tracker
        .check_outbound(
            &deny_rule,
            &send.workflow_id,
            &agent("mailer"),
            (T0 + 20) as u64,
        )
        .unwrap();
    assert_eq!(
        (alert.mode, alert.code()),
        (FlowMode::Deny, "workflow_sensitive_flow")
    );
}
