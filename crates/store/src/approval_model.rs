//! Records of the human-approval workflow: approval requests with their
//! votes, scoped grants that pre-approve matching calls for a while, and
//! kill switches.

use behavry_core::{AgentId, ApprovalRule, CallKind, DecisionId, KillScope, Reason};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where an approval stands. Only `Pending` can change, and only once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Expired,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(ApprovalStatus::Pending),
            "approved" => Some(ApprovalStatus::Approved),
            "rejected" => Some(ApprovalStatus::Rejected),
            "expired" => Some(ApprovalStatus::Expired),
            _ => None,
        }
    }
}

impl std::fmt::Display for ApprovalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An intercepted call to hold for a human decision. `arguments` must
/// already be redacted by the caller; `call_hash` binds the request to the
/// exact call (see `behavry_core::call_hash`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewApproval {
    pub decision_id: DecisionId,
    pub agent_id: AgentId,
    pub agent_name: String,
    pub agent_owner: Option<String>,
    pub method: CallKind,
    pub upstream: String,
    pub tool: String,
    pub arguments: serde_json::Value,
    pub call_hash: String,
    pub rule: ApprovalRule,
    /// What the deciding person should see besides the call: risk factors,
    /// scan findings, the workflow chain (`null` members when absent).
    pub context: serde_json::Value,
    pub reasons: Vec<Reason>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// One operator's vote on a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalVote {
    pub operator: String,
    /// `approve` or `deny`.
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A stored approval request and, once decided, its decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// UUID v4 text, assigned by the store.
    pub id: String,
    pub decision_id: DecisionId,
    pub agent_id: AgentId,
    pub agent_name: String,
    pub agent_owner: Option<String>,
    pub method: CallKind,
    pub upstream: String,
    pub tool: String,
    pub arguments: serde_json::Value,
    pub call_hash: String,
    pub rule: ApprovalRule,
    pub context: serde_json::Value,
    pub reasons: Vec<Reason>,
    pub status: ApprovalStatus,
    pub votes: Vec<ApprovalVote>,
    pub escalated: bool,
    /// Arguments an approver substituted (edit-and-approve), unredacted:
    /// they are forwarded. Views must redact them.
    pub edited_arguments: Option<serde_json::Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    /// When a retried call collected this decision (each decision is
    /// collected at most once).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub collected_at: Option<OffsetDateTime>,
}

impl ApprovalRecord {
    /// Approve votes so far.
    pub fn approvals(&self) -> usize {
        self.votes.iter().filter(|v| v.action == "approve").count()
    }
}

/// An operator's vote, as submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVote {
    pub operator: String,
    pub approve: bool,
    pub reason: Option<String>,
    /// Edit-and-approve: the arguments to forward instead (already checked
    /// against policy by the caller). Only for rules needing one approval.
    pub edited_arguments: Option<serde_json::Value>,
}

/// A scoped pre-approval: calls by this agent to this tool whose canonical
/// arguments match `argument_pattern` (a regex; none = any) pass an
/// intercept until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub agent_id: AgentId,
    pub agent_name: String,
    pub upstream: String,
    pub tool: String,
    pub argument_pattern: Option<String>,
    /// The approval this grant came from.
    pub approval_id: Option<String>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    pub agent_id: AgentId,
    pub agent_name: String,
    pub upstream: String,
    pub tool: String,
    pub argument_pattern: Option<String>,
    pub approval_id: Option<String>,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A kill switch as stored, engaged or released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillRecord {
    pub id: String,
    pub scope: KillScope,
    pub target: Option<String>,
    pub reason: String,
    pub engaged_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub engaged_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub released_at: Option<OffsetDateTime>,
    pub released_by: Option<String>,
}

impl KillRecord {
    /// The pure form the gateway matches calls against.
    pub fn switch(&self) -> behavry_core::KillSwitch {
        behavry_core::KillSwitch {
            id: self.id.clone(),
            scope: self.scope,
            target: self.target.clone(),
            reason: self.reason.clone(),
            engaged_by: self.engaged_by.clone(),
            engaged_at: self
                .engaged_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKill {
    pub scope: KillScope,
    pub target: Option<String>,
    pub reason: String,
    pub engaged_by: String,
}
