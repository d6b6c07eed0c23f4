#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Who may decide an approval under its rule: role, approver group,
//! escalation group, and admins.

use behavry_core::{AgentId, ApprovalRule, ApproverRole, CallKind, DecisionId};
use behavry_gateway::{ApprovalHub, Approver};
use behavry_store::{ApprovalRecord, ApprovalStatus};
use time::OffsetDateTime;

fn record(rule: ApprovalRule, escalated: bool) -> ApprovalRecord {
    let now = OffsetDateTime::now_utc();
    ApprovalRecord {
        id: "a".into(),
        decision_id: DecisionId("d".into()),
        agent_id: AgentId("agent".into()),
        agent_name: "analyst".into(),
        agent_owner: None,
        method: CallKind::ToolsCall,
        upstream: "database".into(),
        tool: "query".into(),
        arguments: serde_json::json!({}),
        call_hash: "h".into(),
        rule,
        context: serde_json::Value::Null,
        reasons: vec![],
        status: ApprovalStatus::Pending,
        votes: vec![],
        escalated,
        edited_arguments: None,
        created_at: now,
        expires_at: now,
        decided_at: None,
        decided_by: None,
        decision_reason: None,
        collected_at: None,
    }
}

fn who(name: &str, admin: bool, groups: &[&str]) -> Approver {
    Approver {
        name: name.into(),
        admin,
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

#[test]
fn group_rules_with_escalation() {
    let mut rule = ApprovalRule::fallback(600);
    rule.approvers_group = Some("dba".into());
    rule.escalate_after_secs = Some(60);
    rule.escalate_to = Some("security".into());
    let fresh = record(rule.clone(), false);
    let escalated = record(rule, true);
    let dba = who("dana", false, &["dba"]);
    let sec = who("sam", false, &["security"]);
    let other = who("olga", false, &["support"]);
    let admin = who("root", true, &[]);
    let cases = [
        (&fresh, &dba, true),
        (&fresh, &sec, false),
        (&fresh, &other, false),
        (&fresh, &admin, true),
        (&escalated, &dba, true),
        (&escalated, &sec, true),
        (&escalated, &other, false),
    ];
    for (record, approver, allowed) in cases {
        assert_eq!(
            ApprovalHub::may_decide(record, approver).is_ok(),
            allowed,
            "{} on escalated={}",
            approver.name,
            record.escalated
        );
    }
    let refusal = ApprovalHub::may_decide(&fresh, &sec).unwrap_err();
    assert!(refusal.contains("dba"), "{refusal}");
}

#[test]
fn admin_only_rules() {
    let mut rule = ApprovalRule::fallback(600);
    rule.required_role = ApproverRole::Admin;
    let r = record(rule, false);
    assert!(ApprovalHub::may_decide(&r, &who("a", false, &["dba"])).is_err());
    assert!(ApprovalHub::may_decide(&r, &who("b", true, &[])).is_ok());
}

#[test]
fn the_fallback_rule_lets_any_approver_decide() {
    let r = record(ApprovalRule::fallback(300), false);
    assert!(ApprovalHub::may_decide(&r, &who("a", false, &[])).is_ok());
}
