//! Decision Trace events. The trace is append-only: a decision is one
//! `Decision` event written before the call is forwarded, followed by
//! `Approval` and `Outcome` events that refer to it by id.

use crate::{AgentIdentity, CallKind, DecisionId, Reason, Verdict};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What finally happened to a decided call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CallOutcome {
    /// Forwarded and answered by the upstream (`is_error` mirrors a JSON-RPC
    /// error or a tool result with `isError: true`).
    Completed { is_error: bool, latency_ms: f64 },
    /// Forwarded but the upstream failed or was unreachable.
    UpstreamFailed { error: String, latency_ms: f64 },
    /// Not forwarded: denied by the decision or by an approver.
    Blocked { reason: String },
    /// The downstream client cancelled or disconnected.
    Cancelled,
}

/// One appended trace event.
#[expect(
    clippy::large_enum_variant,
    reason = "events are built once per call and serialized; boxing the decision would only add an allocation"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TraceEventKind {
    Decision {
        agent: AgentIdentity,
        method: CallKind,
        upstream: String,
        tool: String,
        /// Arguments after redaction.
        arguments: serde_json::Value,
        verdict: Verdict,
        reasons: Vec<Reason>,
        policy_revision: String,
        eval_micros: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approval_id: Option<String>,
    },
    Approval {
        approval_id: String,
        /// `approved`, `rejected` or `expired`.
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Outcome {
        #[serde(flatten)]
        outcome: CallOutcome,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub decision_id: DecisionId,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    #[serde(flatten)]
    pub event: TraceEventKind,
}
