//! The stages around the decision that look at content and behaviour:
//! what they add to the policy input before the decision, what they do to
//! a result before it reaches the agent, and what they learn from a call
//! that ran. Each stage keeps its per-call state in [`StageState`].
//!
//! Invariants:
//! - `before_decision` fails closed: an error becomes a deny with the
//!   returned reason, recorded in the trace like any decision.
//! - `after_result` runs only on results of calls that were allowed (or
//!   approved); an `Err` replaces the result with a tool error carrying
//!   the message, so blocked content never reaches the agent.
//! - `on_outcome` runs only for calls that ran; denied, rejected, expired
//!   or cancelled calls never train anything.

use crate::context::CallCtx;
use behavry_core::{Decision, PolicyInput, Reason};
use serde_json::Value;

/// Per-call state kept between the decision and the outcome.
#[derive(Debug, Default)]
pub(crate) struct StageState {
    /// The call as the behavioural baseline saw it at decision time.
    pub(crate) risk: Option<behavry_baseline::Observation>,
    /// The arguments with secrets masked, when scanning found any: what the
    /// trace and approval requests record.
    pub(crate) recorded_arguments: Option<Value>,
    /// The call's workflow, trace context and start request.
    pub(crate) workflow: crate::workflows::WorkflowState,
}

/// Enrich the policy input (`risk`, `scan`, `workflow`) before deciding.
pub(crate) async fn before_decision(
    ctx: &CallCtx,
    input: &mut PolicyInput,
    state: &mut StageState,
) -> Result<(), Reason> {
    crate::workflows::before_decision(ctx, input, &mut state.workflow).await?;
    crate::risk::before_decision(ctx, input, &mut state.risk);
    crate::pinning::check_call(ctx, input).await?;
    state.recorded_arguments = crate::scanning::before_decision(ctx, input);
    Ok(())
}

/// Adjust a decision that is not a deny: workflow flow rule and shared
/// budgets (a refusal denies), a workflow start.
pub(crate) async fn after_decision(
    ctx: &CallCtx,
    decision: &mut Decision,
    input: &mut PolicyInput,
    state: &mut StageState,
) {
    crate::workflows::after_decision(ctx, decision, input, &mut state.workflow).await;
}

/// What the upstream receives: no workflow token, Behavry's trace context.
pub(crate) fn before_forward(state: &StageState, params: &mut Value) {
    crate::workflows::prepare_forward(&state.workflow, params);
}

/// Inspect (and possibly redact, annotate or block) a successful result.
pub(crate) async fn after_result(
    ctx: &CallCtx,
    input: &PolicyInput,
    state: &StageState,
    decision_id: &str,
    result: Value,
) -> Result<Value, String> {
    let result = crate::scanning::after_result(ctx, input, result)?;
    crate::workflows::after_result(ctx, input, &state.workflow, decision_id, None, result).await
}

/// Learn from a call that ran; `result` is what the upstream returned,
/// `approved` whether it ran on a person's approval.
pub(crate) fn on_outcome(
    ctx: &CallCtx,
    _input: &PolicyInput,
    state: &StageState,
    result: Option<&Value>,
    approved: bool,
) {
    crate::risk::on_outcome(ctx, state.risk.as_ref(), result, approved);
}
