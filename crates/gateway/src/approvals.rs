//! The intercept mechanism: a held call waits on an approval that operators
//! decide through the control plane.
//!
//! Invariants:
//! - The store is the source of truth; every state change is a
//!   compare-and-set from `pending`, so exactly one of approve / reject /
//!   expire wins, and each operator votes at most once.
//! - Every vote, decision, escalation and expiry is appended to the
//!   Decision Trace before a waiting call is released.
//! - Only operators decide: the hub takes an [`Approver`] that the control
//!   plane builds from an authenticated operator session or token; agent
//!   credentials never reach it.
//! - Nobody deciding means the rule's default outcome (deny unless the rule
//!   says otherwise).

use crate::coordination::{Coordination, Event};
use crate::notify::{Notifier, NotifyEvent};
use behavry_core::{
    redact_arguments, ApproverRole, DefaultOutcome, Redaction, TraceEvent, TraceEventKind,
};
use behavry_store::{ApprovalRecord, ApprovalStatus, NewApproval, NewVote, Store, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;

/// How a held call was released.
#[derive(Debug, Clone, PartialEq)]
pub enum Release {
    /// Forward the call; with `arguments` when an approver edited them.
    Approved {
        operator: Option<String>,
        arguments: Option<Value>,
    },
    Rejected {
        operator: Option<String>,
        reason: Option<String>,
    },
    Expired,
    /// The gateway is shutting down; the approval stays pending and the
    /// identical call, retried, collects its outcome.
    Interrupted,
}

/// An authenticated operator acting on approvals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approver {
    pub name: String,
    pub admin: bool,
    pub groups: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("recording the approval in the trace failed: {0}")]
    Trace(StoreError),
    #[error("{0}")]
    NotAllowed(String),
}

pub struct ApprovalHub {
    store: Store,
    redaction: Redaction,
    notifier: Notifier,
    waiters: Mutex<HashMap<String, watch::Sender<Option<Release>>>>,
    /// Decisions are announced so calls held on other replicas are released.
    coordination: Arc<Coordination>,
}

impl ApprovalHub {
    pub fn new(
        store: Store,
        redaction: Redaction,
        notifier: Notifier,
        coordination: Arc<Coordination>,
    ) -> Self {
        ApprovalHub {
            store,
            redaction,
            notifier,
            waiters: Mutex::new(HashMap::new()),
            coordination,
        }
    }

    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Persist a new pending approval and register a waiter for it.
    pub async fn open(
        &self,
        approval: NewApproval,
    ) -> Result<(ApprovalRecord, watch::Receiver<Option<Release>>), ApprovalError> {
        let record = self.store.create_approval(approval).await?;
        let rx = self.attach(&record.id);
        self.notifier.send(NotifyEvent::requested(&record));
        Ok((record, rx))
    }

    /// Wait on an existing approval (an identical call while one is
    /// pending, or a retry after a restart).
    pub fn attach(&self, id: &str) -> watch::Receiver<Option<Release>> {
        match self.waiters.lock() {
            Ok(mut waiters) => waiters
                .entry(id.to_string())
                .or_insert_with(|| watch::channel(None).0)
                .subscribe(),
            // A poisoned lock: hand out a receiver that is never released,
            // so the wait times out and the call is denied.
            Err(_) => watch::channel(None).1,
        }
    }

    /// Whether `who` may decide this approval under its rule.
    pub fn may_decide(record: &ApprovalRecord, who: &Approver) -> Result<(), String> {
        let rule = &record.rule;
        if rule.required_role == ApproverRole::Admin && !who.admin {
            return Err(format!("rule `{}` needs an admin to decide", rule.name));
        }
        if let Some(group) = &rule.approvers_group {
            let in_group = who.groups.iter().any(|g| g == group);
            let escalated_to = record.escalated
                && rule
                    .escalate_to
                    .as_ref()
                    .is_some_and(|e| who.groups.iter().any(|g| g == e));
            if !(who.admin || in_group || escalated_to) {
                return Err(format!(
                    "rule `{}` needs an approver in group `{group}`{}",
                    rule.name,
                    match (&rule.escalate_to, record.escalated) {
                        (Some(e), true) => format!(" or `{e}`"),
                        _ => String::new(),
                    }
                ));
            }
        }
        Ok(())
    }

    /// One operator's vote. Returns the record after the vote; when it
    /// decided the approval, the waiting calls are released.
    pub async fn vote(
        &self,
        id: &str,
        who: &Approver,
        approve: bool,
        reason: Option<&str>,
        edited_arguments: Option<Value>,
        detail: Option<Value>,
    ) -> Result<ApprovalRecord, ApprovalError> {
        let current = self
            .store
            .get_approval(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no approval with id `{id}`")))?;
        Self::may_decide(&current, who).map_err(ApprovalError::NotAllowed)?;
        let edited_view = edited_arguments
            .as_ref()
            .map(|a| redact_arguments(a, &self.redaction));
        let record = self
            .store
            .vote_approval(
                id,
                NewVote {
                    operator: who.name.clone(),
                    approve,
                    reason: reason.map(str::to_string),
                    edited_arguments,
                },
            )
            .await?;
        let action = match record.status {
            ApprovalStatus::Pending => "vote",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Expired => "expired",
        };
        let mut facts = json!({
            "approvals": record.approvals(),
            "required": record.rule.required_approvals,
            "vote": if approve { "approve" } else { "deny" },
        });
        if let (Some(obj), Some(edited)) = (facts.as_object_mut(), edited_view) {
            obj.insert("edited_arguments".into(), edited);
        }
        if let (Some(obj), Some(Value::Object(extra))) = (facts.as_object_mut(), detail) {
            obj.extend(extra);
        }
        self.record_in_trace(&record, action, Some(&who.name), reason, Some(facts))
            .await?;
        if record.status != ApprovalStatus::Pending {
            self.notifier.send(NotifyEvent::resolved(&record));
            self.notify(id, release_of(&record));
        }
        Ok(record)
    }

    /// Reject a pending approval on behalf of the system or an operator
    /// action that is not a vote (a kill switch). Releases its waiters.
    pub async fn reject(
        &self,
        id: &str,
        operator: &str,
        reason: &str,
    ) -> Result<ApprovalRecord, ApprovalError> {
        let record = self
            .store
            .resolve_approval(id, ApprovalStatus::Rejected, Some(operator), Some(reason))
            .await?;
        self.record_in_trace(&record, "rejected", Some(operator), Some(reason), None)
            .await?;
        self.notifier.send(NotifyEvent::resolved(&record));
        self.notify(id, release_of(&record));
        Ok(record)
    }

    /// Wait for a release; on timeout, expire the approval (its rule's
    /// default outcome applies).
    pub async fn wait(
        &self,
        id: &str,
        mut rx: watch::Receiver<Option<Release>>,
        timeout: Duration,
    ) -> Release {
        let waited = tokio::time::timeout(timeout, async {
            loop {
                if let Some(release) = rx.borrow_and_update().clone() {
                    return Some(release);
                }
                if rx.changed().await.is_err() {
                    return None;
                }
            }
        })
        .await;
        match waited {
            Ok(Some(release)) => release,
            _ => self.expire(id).await,
        }
    }

    /// Expire one approval now; when someone decided it in the same
    /// instant, their outcome is honoured.
    pub async fn expire(&self, id: &str) -> Release {
        match self
            .store
            .resolve_approval(
                id,
                ApprovalStatus::Expired,
                None,
                Some("approval timed out"),
            )
            .await
        {
            Ok(record) => {
                self.expired(&record).await;
                release_of(&record)
            }
            Err(StoreError::Conflict(_)) => match self.store.get_approval(id).await {
                Ok(Some(record)) => release_of(&record),
                _ => Release::Expired,
            },
            Err(e) => {
                tracing::error!(approval = id, error = %e, "could not expire approval; denying the held call");
                Release::Expired
            }
        }
    }

    /// Record and announce an approval the store has just expired, and
    /// release its waiters.
    pub(crate) async fn expired(&self, record: &ApprovalRecord) {
        let detail = json!({"default_outcome": record.rule.default_outcome});
        if let Err(e) = self
            .record_in_trace(
                record,
                "expired",
                None,
                Some("approval timed out"),
                Some(detail),
            )
            .await
        {
            tracing::error!(approval = %record.id, error = %e, "could not record approval expiry in the trace");
        }
        self.notifier.send(NotifyEvent::resolved(record));
        self.notify(&record.id, release_of(record));
    }

    /// Mark an approval escalated to its rule's second group, once.
    pub(crate) async fn escalate(&self, record: &ApprovalRecord) -> Result<bool, ApprovalError> {
        if !self.store.mark_approval_escalated(&record.id).await? {
            return Ok(false);
        }
        let to = record.rule.escalate_to.clone();
        self.record_in_trace(record, "escalated", None, None, Some(json!({"to": to})))
            .await?;
        self.notifier.send(NotifyEvent::escalated(record));
        Ok(true)
    }

    pub(crate) async fn record_in_trace(
        &self,
        record: &ApprovalRecord,
        action: &str,
        operator: Option<&str>,
        reason: Option<&str>,
        detail: Option<Value>,
    ) -> Result<(), ApprovalError> {
        let event = TraceEvent {
            decision_id: record.decision_id.clone(),
            time: OffsetDateTime::now_utc(),
            event: TraceEventKind::Approval {
                approval_id: record.id.clone(),
                action: action.to_string(),
                operator: operator.map(str::to_string),
                reason: reason.map(str::to_string),
                detail,
            },
        };
        self.store
            .append_trace(&event)
            .await
            .map(|_| ())
            .map_err(ApprovalError::Trace)
    }

    /// Release the calls held here on `id`, and announce the decision so
    /// calls held on it by other replicas are released too.
    fn notify(&self, id: &str, release: Release) {
        self.wake(id, release);
        self.coordination
            .announce(Event::Approval { id: id.to_string() });
    }

    /// Release the calls held in this process on `id` (a decision read
    /// back from the store).
    pub(crate) fn wake(&self, id: &str, release: Release) {
        if let Ok(waiters) = self.waiters.lock() {
            if let Some(tx) = waiters.get(id) {
                let _ = tx.send(Some(release));
            }
        }
    }

    /// Whether calls are held in this process on approval `id`.
    pub(crate) fn is_held(&self, id: &str) -> bool {
        self.waiters
            .lock()
            .map(|w| w.contains_key(id))
            .unwrap_or(false)
    }

    /// Drop the waiters of an approval once its held calls are done, or
    /// when the client went away (the approval stays for operators).
    pub fn forget(&self, id: &str) {
        if let Ok(mut waiters) = self.waiters.lock() {
            if waiters.get(id).is_some_and(|tx| tx.receiver_count() <= 1) {
                waiters.remove(id);
            }
        }
    }

    /// Number of approvals with calls currently held in this process.
    pub fn waiting(&self) -> usize {
        self.waiters.lock().map(|w| w.len()).unwrap_or(0)
    }

    /// Ids of approvals with calls currently held in this process.
    pub fn held_ids(&self) -> Vec<String> {
        self.waiters
            .lock()
            .map(|w| w.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// What a decided approval means for its call. An expired request follows
/// its rule's default outcome.
pub fn release_of(record: &ApprovalRecord) -> Release {
    match record.status {
        ApprovalStatus::Approved => Release::Approved {
            operator: record.decided_by.clone(),
            arguments: record.edited_arguments.clone(),
        },
        ApprovalStatus::Rejected => Release::Rejected {
            operator: record.decided_by.clone(),
            reason: record.decision_reason.clone(),
        },
        ApprovalStatus::Expired if record.rule.default_outcome == DefaultOutcome::Approve => {
            Release::Approved {
                operator: None,
                arguments: None,
            }
        }
        ApprovalStatus::Expired | ApprovalStatus::Pending => Release::Expired,
    }
}
