#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! `[approvals]` rules and `[[notifications]]`: valid files parse into the
//! typed settings; every mistake is reported with its field.

use behavry_config::{parse, NotificationKind};
use behavry_core::{ApproverRole, DefaultOutcome};
use std::path::Path;

#[test]
fn rules_and_notifications_parse() {
    let text = r#"
        [approvals]
        rate_per_minute = 5
        max_pending_per_agent = 3
        retry_window_secs = 60
        console_url = "https://behavry.example/"

        [[approvals.rules]]
        name = "dba"
        tools = ["database.*"]
        required_role = "admin"
        approvers_group = "dba"
        required_approvals = 2
        timeout_secs = 900
        default_outcome = "approve"
        escalate_after_secs = 600
        escalate_to = "security"

        [[notifications]]
        kind = "webhook"
        url = "https://hooks.example/behavry"
        secret = "${env:HOOK_SECRET}"

        [[notifications]]
        kind = "slack"
        url = "${env:SLACK_URL}"
        events = ["approval.requested"]
    "#;
    let cfg = parse(text, Path::new("/etc/behavry")).unwrap();
    assert_eq!(cfg.approvals.rate_per_minute, 5);
    assert_eq!(cfg.approvals.max_pending_per_agent, 3);
    assert_eq!(cfg.approvals.retry_window.as_secs(), 60);
    assert_eq!(
        cfg.approvals.console_url.as_deref(),
        Some("https://behavry.example")
    );
    let [rule] = cfg.approvals.rules.as_slice() else {
        panic!("one rule expected")
    };
    assert_eq!(rule.required_role, ApproverRole::Admin);
    assert_eq!(rule.required_approvals, 2);
    assert_eq!(rule.default_outcome, DefaultOutcome::Approve);
    assert!(rule.matches("database.query") && !rule.matches("email.send"));
    assert_eq!(cfg.notifications.len(), 2);
    assert_eq!(cfg.notifications[0].kind, NotificationKind::Webhook);
    assert_eq!(cfg.notifications[1].events, vec!["approval.requested"]);
    assert!(!format!("{:?}", cfg.notifications).contains("HOOK_SECRET"));
}

#[test]
fn mistakes_are_reported_together() {
    let cases = [
        (
            "[[approvals.rules]]\nname = \"default\"",
            "built-in fallback",
        ),
        (
            "[[approvals.rules]]\nrequired_role = \"root\"",
            "approver or admin",
        ),
        (
            "[[approvals.rules]]\ndefault_outcome = \"maybe\"",
            "deny or approve",
        ),
        (
            "[[approvals.rules]]\nrequired_approvals = 0",
            "required_approvals",
        ),
        (
            "[[approvals.rules]]\nescalate_after_secs = 10",
            "escalate_to is not",
        ),
        (
            "[[approvals.rules]]\ntimeout_secs = 60\nescalate_after_secs = 60\nescalate_to = \"s\"",
            "escalate_after_secs",
        ),
        (
            "[[approvals.rules]]\nescalate_to = \"s\"",
            "escalate_after_secs is not",
        ),
        (
            "[[approvals.rules]]\nname = \"a\"\n[[approvals.rules]]\nname = \"a\"",
            "used twice",
        ),
        ("[approvals]\nconsole_url = \"ftp://x\"", "console_url"),
        (
            "[[notifications]]\nkind = \"webhook\"\nurl = \"https://x\"",
            "signing secret",
        ),
        (
            "[[notifications]]\nkind = \"webhook\"\nurl = \"https://x\"\nsecret = \"literal\"",
            "not a literal",
        ),
        (
            "[[notifications]]\nkind = \"pager\"\nurl = \"https://x\"",
            "webhook or slack",
        ),
        (
            "[[notifications]]\nkind = \"slack\"\nurl = \"file:///etc/passwd\"",
            "http(s) URL",
        ),
        (
            "[[notifications]]\nkind = \"slack\"\nurl = \"https://x\"\nevents = [\"everything\"]",
            "unknown event",
        ),
    ];
    for (text, needle) in cases {
        let err = parse(text, Path::new("/")).expect_err(text);
        assert!(err.to_string().contains(needle), "{text}\n→ {err}");
    }
}
