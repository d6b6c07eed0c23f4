//! Whether policy lets an agent see a tool, prompt or resource: the
//! decision for a call to it with `request.listing = true` and no
//! arguments, visible unless denied.

use crate::context::CallCtx;
use behavry_core::{decide, CallKind, DecisionId, Guards, PolicyInput, ToolCall, Verdict};
use serde_json::Value;
use time::OffsetDateTime;

pub fn visible(ctx: &CallCtx, kind: CallKind, upstream: &str, name: &str) -> bool {
    let policy = ctx.gw.policy.current();
    let mut evaluator = policy.evaluator();
    visible_with(ctx, &mut evaluator, kind, upstream, name)
}

pub fn visible_with(
    ctx: &CallCtx,
    evaluator: &mut dyn behavry_core::Evaluate,
    kind: CallKind,
    upstream: &str,
    name: &str,
) -> bool {
    let call = ToolCall {
        method: kind,
        upstream: upstream.to_string(),
        tool: name.to_string(),
        arguments: Value::Null,
    };
    let input = PolicyInput::new(
        (*ctx.agent).clone(),
        call,
        OffsetDateTime::now_utc(),
        ctx.request_meta(None, true),
    );
    decide(
        DecisionId(String::new()),
        &input,
        &Guards::default(),
        evaluator,
    )
    .verdict
        != Verdict::Deny
}
