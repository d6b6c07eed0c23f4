//! The `[approvals]` section (timeouts, flood protection, rules) and the
//! `[[notifications]]` list, validated into typed settings.

use crate::secrets::reference;
use crate::validate::bounded;
use behavry_core::{ApprovalRule, ApproverRole, DefaultOutcome};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApprovals {
    pub timeout_secs: Option<u64>,
    pub keepalive_secs: Option<u64>,
    pub rate_per_minute: Option<u64>,
    pub max_pending_per_agent: Option<u64>,
    pub retry_window_secs: Option<u64>,
    pub console_url: Option<String>,
    #[serde(default)]
    pub rules: Vec<RawApprovalRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApprovalRule {
    pub name: Option<String>,
    #[serde(default)]
    pub tools: Vec<String>,
    pub required_role: Option<String>,
    pub approvers_group: Option<String>,
    pub required_approvals: Option<u64>,
    pub timeout_secs: Option<u64>,
    pub default_outcome: Option<String>,
    pub escalate_after_secs: Option<u64>,
    pub escalate_to: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotification {
    pub kind: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalsConfig {
    /// Timeout of the fallback rule (requests no rule covers).
    pub timeout: Duration,
    pub keepalive: Duration,
    /// New approval requests one agent may open per minute.
    pub rate_per_minute: u32,
    /// Pending requests one agent may have at once.
    pub max_pending_per_agent: u32,
    /// How long after a decision a retried identical call may collect it
    /// (after a gateway restart, or a client that reconnected).
    pub retry_window: Duration,
    /// Base URL of the console, for links in notifications.
    pub console_url: Option<String>,
    pub rules: Vec<ApprovalRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// JSON POST signed with `X-Behavry-Signature`.
    Webhook,
    /// Slack-compatible incoming webhook.
    Slack,
}

/// A notification target. `url` and `secret` may be `${env:NAME}`
/// references, resolved at start-up.
#[derive(Clone, PartialEq)]
pub struct NotificationConfig {
    pub kind: NotificationKind,
    pub url: String,
    pub secret: Option<String>,
    /// Event names to send; empty means all.
    pub events: Vec<String>,
}

impl std::fmt::Debug for NotificationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationConfig")
            .field("kind", &self.kind)
            .field("url", &"[hidden]")
            .field("secret", &self.secret.as_ref().map(|_| "[hidden]"))
            .field("events", &self.events)
            .finish()
    }
}

/// Events a notification can subscribe to.
pub const NOTIFICATION_EVENTS: &[&str] = &[
    "approval.requested",
    "approval.escalated",
    "approval.resolved",
    "kill.engaged",
    "kill.released",
];

pub(crate) fn validate_approvals(problems: &mut Vec<String>, raw: RawApprovals) -> ApprovalsConfig {
    let timeout_secs = bounded(
        problems,
        "approvals.timeout_secs",
        raw.timeout_secs,
        300,
        1,
        7 * 24 * 3600,
    );
    let keepalive_secs = bounded(
        problems,
        "approvals.keepalive_secs",
        raw.keepalive_secs,
        15,
        1,
        300,
    );
    let rate = bounded(
        problems,
        "approvals.rate_per_minute",
        raw.rate_per_minute,
        30,
        1,
        100_000,
    );
    let max_pending = bounded(
        problems,
        "approvals.max_pending_per_agent",
        raw.max_pending_per_agent,
        20,
        1,
        100_000,
    );
    let retry_window = bounded(
        problems,
        "approvals.retry_window_secs",
        raw.retry_window_secs,
        3600,
        0,
        7 * 24 * 3600,
    );
    if let Some(url) = &raw.console_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            problems.push(format!(
                "approvals.console_url must be an http(s) URL, not `{url}`"
            ));
        }
    }
    let mut names = std::collections::BTreeSet::new();
    let rules = raw
        .rules
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let rule = rule(problems, i, r, timeout_secs);
            if !names.insert(rule.name.clone()) {
                problems.push(format!(
                    "approvals.rules[{i}]: name `{}` is used twice",
                    rule.name
                ));
            }
            rule
        })
        .collect();
    ApprovalsConfig {
        timeout: Duration::from_secs(timeout_secs),
        keepalive: Duration::from_secs(keepalive_secs),
        rate_per_minute: rate as u32,
        max_pending_per_agent: max_pending as u32,
        retry_window: Duration::from_secs(retry_window),
        console_url: raw.console_url.map(|u| u.trim_end_matches('/').to_string()),
        rules,
    }
}

fn rule(
    problems: &mut Vec<String>,
    i: usize,
    r: RawApprovalRule,
    default_timeout: u64,
) -> ApprovalRule {
    let at = |field: &str| format!("approvals.rules[{i}].{field}");
    let name = r.name.unwrap_or_else(|| format!("rule-{i}"));
    if name == "default" {
        problems.push(format!(
            "{}: `default` names the built-in fallback rule",
            at("name")
        ));
    }
    for glob in &r.tools {
        if glob.is_empty() || glob.chars().any(char::is_whitespace) {
            problems.push(format!("{}: `{glob}` is not a tool pattern", at("tools")));
        }
    }
    let required_role = match r.required_role.as_deref().unwrap_or("approver") {
        "approver" => ApproverRole::Approver,
        "admin" => ApproverRole::Admin,
        other => {
            problems.push(format!(
                "{} must be approver or admin, not `{other}`",
                at("required_role")
            ));
            ApproverRole::Approver
        }
    };
    let default_outcome = match r.default_outcome.as_deref().unwrap_or("deny") {
        "deny" => DefaultOutcome::Deny,
        "approve" => DefaultOutcome::Approve,
        other => {
            problems.push(format!(
                "{} must be deny or approve, not `{other}`",
                at("default_outcome")
            ));
            DefaultOutcome::Deny
        }
    };
    let required = bounded(
        problems,
        &at("required_approvals"),
        r.required_approvals,
        1,
        1,
        16,
    );
    let timeout = bounded(
        problems,
        &at("timeout_secs"),
        r.timeout_secs,
        default_timeout,
        1,
        7 * 24 * 3600,
    );
    if let Some(after) = r.escalate_after_secs {
        if after == 0 || after >= timeout {
            problems.push(format!(
                "{} must be between 1 and the rule's timeout ({timeout}), got {after}",
                at("escalate_after_secs")
            ));
        }
        if r.escalate_to.is_none() {
            problems.push(format!(
                "{} is set but escalate_to is not",
                at("escalate_after_secs")
            ));
        }
    } else if r.escalate_to.is_some() {
        problems.push(format!(
            "{} is set but escalate_after_secs is not",
            at("escalate_to")
        ));
    }
    for (field, group) in [
        ("approvers_group", &r.approvers_group),
        ("escalate_to", &r.escalate_to),
    ] {
        if group.as_deref().is_some_and(|g| g.trim().is_empty()) {
            problems.push(format!("{} must not be empty", at(field)));
        }
    }
    ApprovalRule {
        name,
        tools: r.tools,
        required_role,
        approvers_group: r.approvers_group,
        required_approvals: required as u32,
        timeout_secs: timeout,
        default_outcome,
        escalate_after_secs: r.escalate_after_secs,
        escalate_to: r.escalate_to,
    }
}

pub(crate) fn validate_notifications(
    problems: &mut Vec<String>,
    raw: Vec<RawNotification>,
) -> Vec<NotificationConfig> {
    let mut out = Vec::new();
    for (i, n) in raw.into_iter().enumerate() {
        let at = |field: &str| format!("notifications[{i}].{field}");
        let kind = match n.kind.as_deref() {
            Some("webhook") => NotificationKind::Webhook,
            Some("slack") => NotificationKind::Slack,
            Some(other) => {
                problems.push(format!(
                    "{} must be webhook or slack, not `{other}`",
                    at("kind")
                ));
                continue;
            }
            None => {
                problems.push(format!("{} is required (webhook or slack)", at("kind")));
                continue;
            }
        };
        let Some(url) = n.url else {
            problems.push(format!("{} is required", at("url")));
            continue;
        };
        match reference(&url) {
            Ok(Some(_)) => {}
            Ok(None) if url.starts_with("https://") || url.starts_with("http://") => {}
            Ok(None) => problems.push(format!(
                "{} must be an http(s) URL or an ${{env:NAME}} reference",
                at("url")
            )),
            Err(e) => problems.push(format!("{}: {e}", at("url"))),
        }
        if kind == NotificationKind::Webhook && n.secret.is_none() {
            problems.push(format!(
                "{}: a webhook needs a signing secret (use ${{env:NAME}})",
                at("secret")
            ));
        }
        if let Some(secret) = &n.secret {
            match reference(secret) {
                Ok(Some(_)) => {}
                Ok(None) => problems.push(format!(
                    "{} must be an ${{env:NAME}} reference, not a literal",
                    at("secret")
                )),
                Err(e) => problems.push(format!("{}: {e}", at("secret"))),
            }
        }
        for event in &n.events {
            if !NOTIFICATION_EVENTS.contains(&event.as_str()) {
                problems.push(format!(
                    "{}: unknown event `{event}` (known: {})",
                    at("events"),
                    NOTIFICATION_EVENTS.join(", ")
                ));
            }
        }
        out.push(NotificationConfig {
            kind,
            url,
            secret: n.secret,
            events: n.events,
        });
    }
    out
}
