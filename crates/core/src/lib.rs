//! Behavry's decision core: the pure types every other crate speaks, and the
//! `decide` step that turns an evaluated policy into a final decision.
//!
//! Invariants:
//! - No I/O, no async, no clocks: callers pass time in, so every decision is
//!   reproducible from its inputs.
//! - Fail closed: any evaluation error, an undefined result or a guard
//!   (revoked agent, kill switch) yields `Verdict::Deny` with a reason.

mod agent;
mod approval;
mod call;
mod decide;
mod input;
mod kill;
mod redact;
mod trace;
mod verdict;

pub use agent::{AgentId, AgentIdentity};
pub use approval::{
    call_hash, canonical_json, glob_match, rule_for, ApprovalRule, ApproverRole, DefaultOutcome,
};
pub use call::{CallKind, ToolCall};
pub use decide::{decide, Decision, DecisionId, EvalError, Evaluate, Guards};
pub use input::{PolicyInput, RequestMeta, TimeFacts};
pub use kill::{kill_guard, KillScope, KillSubject, KillSwitch};
pub use redact::{redact_arguments, Redaction, RedactionMode, REDACTED};
pub use trace::{CallOutcome, TraceEvent, TraceEventKind};
pub use verdict::{PolicyVerdict, Reason, ReasonSource, Verdict};
