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
#[allow(
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
        /// `input.risk` as policy saw it: score, factors, learning.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        risk: Option<serde_json::Value>,
        /// `input.scan`: findings on the arguments (evidence redacted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scan: Option<serde_json::Value>,
        /// `input.workflow`: workflow id, delegation chain, trace context.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workflow: Option<serde_json::Value>,
    },
    Approval {
        approval_id: String,
        /// `approved`, `rejected` or `expired`.
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Extra facts of the action: the vote count of an N-of-M rule, the
        /// scope of an approval granted for a scope, edited arguments
        /// (redacted), or the group an approval was escalated to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<serde_json::Value>,
    },
    /// An operator action that is not about one call: a kill switch engaged
    /// or released, a scoped grant revoked, a changed tool definition
    /// approved. `decision_id` is a fresh id naming the action.
    Operator {
        /// e.g. `kill_engaged`, `kill_released`, `grant_revoked`.
        action: String,
        operator: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        detail: serde_json::Value,
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
