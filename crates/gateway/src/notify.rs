//! Notifications to people: a generic webhook (JSON signed with HMAC-SHA256
//! in `X-Behavry-Signature`, retried with backoff) and Slack-compatible
//! incoming webhooks with a link to the request in the console.
//!
//! Invariants:
//! - Notifications inform; they never carry the power to act. No token,
//!   signed link or one-click action is ever included — the console link
//!   requires an operator to sign in.
//! - Sending never blocks a call: events go through a bounded queue to a
//!   background task; a full queue drops the event with an error log and a
//!   counter, never the call.

use behavry_config::{NotificationConfig, NotificationKind};
use behavry_store::{ApprovalRecord, KillRecord};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const QUEUE: usize = 1024;
const ATTEMPTS: u32 = 5;
pub const SIGNATURE_HEADER: &str = "x-behavry-signature";

/// One thing worth telling people about.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyEvent {
    /// `approval.requested`, `approval.escalated`, `approval.resolved`,
    /// `kill.engaged`, `kill.released`.
    pub event: &'static str,
    /// The JSON body of a webhook (Slack gets text made from it).
    pub payload: Value,
    /// Console path for a link, e.g. `/#/approvals/<id>`.
    pub link_path: Option<String>,
    pub summary: String,
}

impl NotifyEvent {
    pub fn requested(record: &ApprovalRecord) -> Self {
        Self::approval(
            "approval.requested",
            record,
            format!(
                "Approval needed: `{}` wants to call `{}.{}` ({})",
                record.agent_name,
                record.upstream,
                record.tool,
                record
                    .reasons
                    .iter()
                    .map(|r| r.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
    }

    pub fn escalated(record: &ApprovalRecord) -> Self {
        Self::approval(
            "approval.escalated",
            record,
            format!(
                "Escalated to `{}`: `{}` calling `{}.{}` is still waiting",
                record.rule.escalate_to.as_deref().unwrap_or("-"),
                record.agent_name,
                record.upstream,
                record.tool
            ),
        )
    }

    pub fn resolved(record: &ApprovalRecord) -> Self {
        Self::approval(
            "approval.resolved",
            record,
            format!(
                "Approval for `{}` calling `{}.{}` is {}{}",
                record.agent_name,
                record.upstream,
                record.tool,
                record.status,
                record
                    .decided_by
                    .as_ref()
                    .map(|o| format!(" by {o}"))
                    .unwrap_or_default()
            ),
        )
    }

    fn approval(event: &'static str, record: &ApprovalRecord, summary: String) -> Self {
        NotifyEvent {
            event,
            payload: json!({
                "event": event,
                "approval": {
                    "id": record.id,
                    "decision_id": record.decision_id,
                    "agent": record.agent_name,
                    "agent_owner": record.agent_owner,
                    "upstream": record.upstream,
                    "tool": record.tool,
                    "status": record.status,
                    "reasons": record.reasons,
                    "rule": record.rule.name,
                    "expires_at": record.expires_at.unix_timestamp(),
                    "decided_by": record.decided_by,
                },
            }),
            link_path: Some(format!("/#/approvals/{}", record.id)),
            summary,
        }
    }

    pub fn kill(event: &'static str, record: &KillRecord) -> Self {
        NotifyEvent {
            event,
            payload: json!({"event": event, "kill_switch": record}),
            link_path: Some("/#/kill".into()),
            summary: format!(
                "Kill switch {} ({} {}) by {}: {}",
                if event == "kill.engaged" {
                    "engaged"
                } else {
                    "released"
                },
                record.scope.as_str(),
                record.target.as_deref().unwrap_or("everything"),
                record.released_by.as_deref().unwrap_or(&record.engaged_by),
                record.reason
            ),
        }
    }
}

/// A resolved notification target (secrets already read from the
/// environment).
#[derive(Clone)]
pub struct Target {
    pub kind: NotificationKind,
    pub url: String,
    pub secret: Option<String>,
    pub events: Vec<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Handle used by the hub; cheap to clone. A notifier with no targets
/// drops events silently by design (nothing is configured).
#[derive(Clone, Default)]
pub struct Notifier {
    tx: Option<mpsc::Sender<NotifyEvent>>,
    pub dropped: Arc<AtomicU64>,
}

impl Notifier {
    /// Start the sender task. `console_url` builds links.
    pub fn start(targets: Vec<Target>, console_url: Option<String>) -> Self {
        if targets.is_empty() {
            return Notifier::default();
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(rx, targets, console_url));
        Notifier {
            tx: Some(tx),
            dropped: Arc::default(),
        }
    }

    pub fn send(&self, event: NotifyEvent) {
        if let Some(tx) = &self.tx {
            if tx.try_send(event).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::error!("notification queue is full; a notification was dropped");
            }
        }
    }
}

/// Resolve configured targets' `${env:NAME}` references.
pub fn resolve_targets(configs: &[NotificationConfig]) -> Result<Vec<Target>, String> {
    configs
        .iter()
        .map(|c| {
            let lookup = |name: &str| std::env::var(name).ok();
            let url = behavry_config::resolve_secret(&c.url, lookup)
                .map_err(|e| format!("notification url: {e}"))?;
            let secret = c
                .secret
                .as_deref()
                .map(|s| behavry_config::resolve_secret(s, lookup))
                .transpose()
                .map_err(|e| format!("notification secret: {e}"))?;
            Ok(Target {
                kind: c.kind,
                url,
                secret,
                events: c.events.clone(),
            })
        })
        .collect()
}

async fn run(mut rx: mpsc::Receiver<NotifyEvent>, targets: Vec<Target>, console: Option<String>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the notification HTTP client; notifications are off");
            return;
        }
    };
    while let Some(event) = rx.recv().await {
        for target in &targets {
            if !target.events.is_empty() && !target.events.iter().any(|e| e == event.event) {
                continue;
            }
            let body = match target.kind {
                NotificationKind::Webhook => webhook_body(&event, console.as_deref()),
                NotificationKind::Slack => slack_body(&event, console.as_deref()),
            };
            let client = client.clone();
            let target = target.clone();
            tokio::spawn(async move { deliver(&client, &target, body).await });
        }
    }
}

pub fn webhook_body(event: &NotifyEvent, console: Option<&str>) -> String {
    let mut payload = event.payload.clone();
    if let (Some(obj), Some(base), Some(path)) =
        (payload.as_object_mut(), console, &event.link_path)
    {
        obj.insert("console_url".into(), json!(format!("{base}{path}")));
    }
    if let Some(obj) = payload.as_object_mut() {
        obj.insert("summary".into(), json!(event.summary));
        obj.insert(
            "sent_at".into(),
            json!(time::OffsetDateTime::now_utc().unix_timestamp()),
        );
    }
    payload.to_string()
}

pub fn slack_body(event: &NotifyEvent, console: Option<&str>) -> String {
    let link = match (console, &event.link_path) {
        (Some(base), Some(path)) => format!("\n<{base}{path}|Open in the Behavry console>"),
        _ => String::new(),
    };
    json!({"text": format!("{}{link}", event.summary)}).to_string()
}

/// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>`.
pub fn signature(secret: &str, unix: i64, body: &str) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(unix.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Some(format!(
        "t={unix},v1={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

async fn deliver(client: &reqwest::Client, target: &Target, body: String) {
    let mut delay = Duration::from_millis(500);
    for attempt in 1..=ATTEMPTS {
        let mut request = client
            .post(&target.url)
            .header("content-type", "application/json")
            .body(body.clone());
        if let (NotificationKind::Webhook, Some(secret)) = (target.kind, &target.secret) {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if let Some(sig) = signature(secret, now, &body) {
                request = request.header(SIGNATURE_HEADER, sig);
            }
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => {
                tracing::warn!(status = %r.status(), attempt, "notification target refused; retrying")
            }
            Err(e) => {
                tracing::warn!(error = %e.without_url(), attempt, "notification delivery failed; retrying")
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
    tracing::error!(kind = ?target.kind, "notification not delivered after {ATTEMPTS} attempts");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_over_time_and_body() {
        let sig = signature("s3cret", 1700000000, "{\"a\":1}").unwrap();
        assert!(sig.starts_with("t=1700000000,v1="));
        assert_eq!(sig.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(sig, signature("other", 1700000000, "{\"a\":1}").unwrap());
        assert_ne!(sig, signature("s3cret", 1700000001, "{\"a\":1}").unwrap());
        assert_ne!(sig, signature("s3cret", 1700000000, "{\"a\":2}").unwrap());
    }

    #[test]
    fn slack_message_links_to_the_console_without_any_action_token() {
        let event = NotifyEvent {
            event: "approval.requested",
            payload: json!({}),
            link_path: Some("/#/approvals/abc".into()),
            summary: "Approval needed".into(),
        };
        let body: Value =
            serde_json::from_str(&slack_body(&event, Some("https://behavry.example"))).unwrap();
        let text = body["text"].as_str().unwrap();
        assert!(text.contains("https://behavry.example/#/approvals/abc"));
        assert!(!text.contains("approve?"), "no action links: {text}");
    }
}
