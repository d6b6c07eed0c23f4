//! The path of one decided call (`tools/call`, `resources/read`,
//! `prompts/get`): resolve → decide → record → (hold) → forward → record
//! the outcome.
//!
//! Invariants:
//! - Nothing reaches an upstream unless the decision is Allow (or an
//!   Intercept an operator approved) AND the decision is durably in the trace.
//! - Every failure on the way denies, and the denial is traced when the
//!   trace is writable.

use crate::context::CallCtx;
use crate::forward::forward;
use crate::hold::{hold, notify_held};
use crate::intercept::{self, Plan};
use crate::reply::{error_message, OutEvent};
use crate::settle::settle;
use crate::stages::{self, StageState};
use behavry_core::{
    decide, redact_arguments, CallKind, CallOutcome, Decision, DecisionId, Guards, KillSubject,
    PolicyInput, Reason, ToolCall, TraceEvent, TraceEventKind, Verdict,
};
use behavry_protocol as proto;
use serde_json::{json, Value};
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Run one decided call to completion; returns the JSON-RPC response message.
pub async fn decided_call(
    ctx: &CallCtx,
    id: &Value,
    kind: CallKind,
    params: Option<Value>,
    out: Option<mpsc::Sender<OutEvent>>,
    cancel: CancellationToken,
) -> Value {
    let target = match proto::call_target(kind.method(), params.as_ref()) {
        Ok(Some(t)) => t,
        Ok(None) | Err(_) => {
            let why = proto::call_target(kind.method(), params.as_ref())
                .err()
                .map(|e| e.to_string());
            return error_message(
                Some(id),
                proto::INVALID_PARAMS,
                why.unwrap_or_else(|| "missing call target".into()),
                None,
            );
        }
    };
    let resolved = match kind {
        CallKind::ResourcesRead => ctx.resolve_uri(&target.name),
        _ => ctx.resolve_name(&target.name),
    };
    let (upstream, tool, known) = match resolved {
        Some((u, t)) if ctx.gw.upstreams.contains(&u) => (u, t.to_string(), true),
        Some((u, t)) => (u, t.to_string(), false),
        None => (String::new(), target.name.clone(), false),
    };
    let call = ToolCall {
        method: kind,
        upstream: upstream.clone(),
        tool: tool.clone(),
        arguments: target.arguments.clone(),
    };
    let mut input = PolicyInput::new(
        (*ctx.agent).clone(),
        call,
        ctx.gw.clock.now(),
        ctx.request_meta(target.meta.clone(), false),
    );
    let decision_id = DecisionId(uuid::Uuid::now_v7().to_string());
    let mut stage_state = StageState::default();
    let stage_failure = if known {
        stages::before_decision(ctx, &mut input, &mut stage_state)
            .await
            .err()
    } else {
        None
    };

    let started = Instant::now();
    let stale = ctx.gw.coordination.stale();
    let decision = if let Some(stale) = stale {
        // Shared state (kill switches, agents, grants) may be out of date.
        Decision {
            id: decision_id,
            verdict: Verdict::Deny,
            reasons: vec![Reason::guard(stale)],
            policy_revision: ctx.gw.policy.current().revision().to_string(),
        }
    } else if let Some(reason) = stage_failure {
        Decision {
            id: decision_id,
            verdict: Verdict::Deny,
            reasons: vec![reason],
            policy_revision: ctx.gw.policy.current().revision().to_string(),
        }
    } else if known {
        let guards = Guards {
            kill_switch: ctx.gw.controls.kill_guard(&KillSubject {
                agent_name: &ctx.agent.name,
                upstream: &upstream,
                tool: &tool,
                workflow: stage_state.workflow.workflow_id(),
            }),
        };
        let policy = ctx.gw.policy.current();
        let mut evaluator = policy.evaluator();
        decide(decision_id, &input, &guards, &mut evaluator)
    } else {
        Decision {
            id: decision_id,
            verdict: Verdict::Deny,
            reasons: vec![Reason::guard(format!(
                "`{}` does not name a configured upstream",
                target.name
            ))],
            policy_revision: ctx.gw.policy.current().revision().to_string(),
        }
    };
    let eval_micros = started.elapsed().as_micros() as u64;
    ctx.gw
        .metrics
        .decision_seconds
        .observe(started.elapsed().as_secs_f64());

    let mut decision = decision;
    if known {
        stages::after_decision(ctx, &mut decision, &mut input, &mut stage_state).await;
    }
    let arguments = redact_arguments(
        stage_state
            .recorded_arguments
            .as_ref()
            .unwrap_or(&target.arguments),
        &ctx.gw.settings.redaction,
    );
    let plan = if decision.verdict == Verdict::Intercept {
        intercept::plan(ctx, &mut decision, &input, &arguments).await
    } else {
        Plan::None
    };
    let approval_id = match &plan {
        Plan::Wait { approval_id, .. } | Plan::Decided { approval_id, .. } => {
            Some(approval_id.clone())
        }
        Plan::None => None,
    };
    record_metric(
        ctx,
        decision.verdict,
        known.then(|| format!("{upstream}.{tool}")),
    );

    let event = TraceEvent {
        decision_id: decision.id.clone(),
        time: ctx.gw.clock.now(),
        event: TraceEventKind::Decision {
            agent: (*ctx.agent).clone(),
            method: kind,
            upstream: upstream.clone(),
            tool: tool.clone(),
            arguments,
            verdict: decision.verdict,
            reasons: decision.reasons.clone(),
            policy_revision: decision.policy_revision.clone(),
            eval_micros,
            session_id: ctx.session.as_ref().map(|s| s.id.clone()),
            approval_id: approval_id.clone(),
            risk: input.risk.clone(),
            scan: input.scan.clone(),
            workflow: input.workflow.clone(),
        },
    };
    let append_started = Instant::now();
    let appended = ctx.gw.store.append_trace(&event).await;
    ctx.gw
        .metrics
        .trace_append_seconds
        .observe(append_started.elapsed().as_secs_f64());
    if let Err(e) = appended {
        ctx.gw.metrics.trace_failures.inc();
        tracing::error!(decision = %decision.id, error = %e, "decision trace write failed; denying the call");
        return error_message(
            Some(id),
            proto::POLICY_DENIED,
            "denied: the decision could not be recorded",
            Some(json!({"decision_id": decision.id, "verdict": "deny"})),
        );
    }

    let call = Forwarding {
        id,
        kind,
        upstream: &upstream,
        tool: &tool,
        decision_id: &decision.id,
        input: &input,
        stages: &stage_state,
        approved: false,
    };
    match (decision.verdict, plan) {
        (Verdict::Allow, _) => forward_and_record(ctx, &call, params, out, cancel).await,
        (
            Verdict::Intercept,
            Plan::Wait {
                approval_id,
                rx,
                expires_at,
            },
        ) => {
            if let Some(out) = &out {
                notify_held(out, &approval_id, target.meta.as_ref()).await;
            }
            ctx.gw.metrics.approvals_pending.inc();
            let release = hold(
                ctx,
                &approval_id,
                rx,
                expires_at,
                out.as_ref(),
                target.meta.as_ref(),
                &cancel,
            )
            .await;
            ctx.gw.metrics.approvals_pending.dec();
            settle(
                ctx,
                &call,
                &decision,
                &approval_id,
                release,
                params,
                out,
                cancel,
            )
            .await
        }
        (
            Verdict::Intercept,
            Plan::Decided {
                approval_id,
                release,
            },
        ) => {
            settle(
                ctx,
                &call,
                &decision,
                &approval_id,
                Some(release),
                params,
                out,
                cancel,
            )
            .await
        }
        _ => {
            let message = denial_message(&decision);
            outcome(
                ctx,
                &decision.id,
                CallOutcome::Blocked {
                    reason: message.clone(),
                },
            );
            error_message(
                Some(id),
                proto::POLICY_DENIED,
                message,
                Some(decision_data(&decision)),
            )
        }
    }
}

/// The call being forwarded, as decided.
#[derive(Clone, Copy)]
pub(crate) struct Forwarding<'a> {
    pub id: &'a Value,
    pub kind: CallKind,
    pub upstream: &'a str,
    pub tool: &'a str,
    pub decision_id: &'a DecisionId,
    pub input: &'a PolicyInput,
    pub stages: &'a StageState,
    /// The call runs because a person approved it.
    pub approved: bool,
}

pub(crate) async fn forward_and_record(
    ctx: &CallCtx,
    call: &Forwarding<'_>,
    params: Option<Value>,
    out: Option<mpsc::Sender<OutEvent>>,
    cancel: CancellationToken,
) -> Value {
    let Forwarding {
        id,
        kind,
        upstream,
        tool,
        decision_id,
        input,
        stages: stage_state,
        approved,
    } = *call;
    let mut params = params.unwrap_or_else(|| json!({}));
    let key = if kind == CallKind::ResourcesRead {
        "uri"
    } else {
        "name"
    };
    if let Some(obj) = params.as_object_mut() {
        obj.insert(key.into(), Value::String(tool.to_string()));
    }
    stages::before_forward(stage_state, &mut params);
    let started = Instant::now();
    let result = forward(ctx, upstream, kind.method(), params, out, cancel).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    ctx.gw
        .metrics
        .upstream_seconds
        .observe(started.elapsed().as_secs_f64());
    let (label, recorded, response) = match result {
        Ok(Ok(result)) => {
            let is_error = result
                .get("isError")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            stages::on_outcome(ctx, input, stage_state, Some(&result), approved);
            let result =
                match stages::after_result(ctx, input, stage_state, &decision_id.0, result).await {
                    Ok(result) => result,
                    Err(message) => blocked_result(&message),
                };
            let mut result = ctx.finish_result(result);
            if ctx.modern && kind == CallKind::ResourcesRead {
                mark_private(&mut result);
            }
            (
                "ok",
                CallOutcome::Completed {
                    is_error,
                    latency_ms,
                },
                json!({"jsonrpc": "2.0", "id": id, "result": result}),
            )
        }
        Ok(Err(error)) => (
            "error",
            CallOutcome::Completed {
                is_error: true,
                latency_ms,
            },
            json!({"jsonrpc": "2.0", "id": id, "error": error}),
        ),
        Err(failure) => (
            "failed",
            CallOutcome::UpstreamFailed {
                error: failure.clone(),
                latency_ms,
            },
            error_message(
                Some(id),
                proto::UPSTREAM_UNAVAILABLE,
                failure,
                Some(json!({"decision_id": decision_id})),
            ),
        ),
    };
    ctx.gw
        .metrics
        .upstream_calls
        .get_or_create(&crate::metrics::UpstreamLabels {
            upstream: upstream.to_string(),
            outcome: label.to_string(),
        })
        .inc();
    outcome(ctx, decision_id, recorded);
    response
}

/// The tool error an agent receives instead of a blocked result.
fn blocked_result(message: &str) -> Value {
    json!({
        "content": [{"type": "text", "text": message}],
        "isError": true,
    })
}

/// A read decided for one agent may be cached by that client only.
fn mark_private(result: &mut Value) {
    if let Some(obj) = result.as_object_mut() {
        obj.entry("ttlMs").or_insert_with(|| json!(0));
        obj.insert("cacheScope".into(), json!("private"));
    }
}

fn denial_message(decision: &Decision) -> String {
    let reasons: Vec<&str> = decision
        .reasons
        .iter()
        .map(|r| r.message.as_str())
        .collect();
    if reasons.is_empty() {
        "denied by policy".to_string()
    } else {
        format!("denied by policy: {}", reasons.join("; "))
    }
}

pub(crate) fn decision_data(decision: &Decision) -> Value {
    json!({
        "decision_id": decision.id,
        "verdict": decision.verdict,
        "reasons": decision.reasons.iter().map(|r| r.message.clone()).collect::<Vec<_>>(),
    })
}

fn record_metric(ctx: &CallCtx, verdict: Verdict, qualified_tool: Option<String>) {
    ctx.gw
        .metrics
        .decisions
        .get_or_create(&crate::metrics::VerdictLabels {
            verdict: verdict.as_str().to_string(),
            agent: ctx.agent.name.clone(),
            tool: qualified_tool.unwrap_or_else(|| "unknown".into()),
        })
        .inc();
}

/// Append an outcome event off the response path; a failure is logged and
/// counted (the decision itself is already durable).
pub(crate) fn outcome(ctx: &CallCtx, decision_id: &DecisionId, outcome: CallOutcome) {
    let gw = ctx.gw.clone();
    let event = TraceEvent {
        decision_id: decision_id.clone(),
        time: gw.clock.now(),
        event: TraceEventKind::Outcome { outcome },
    };
    tokio::spawn(async move {
        if let Err(e) = gw.store.append_trace(&event).await {
            gw.metrics.trace_failures.inc();
            tracing::error!(decision = %event.decision_id, error = %e, "could not record call outcome");
        }
    });
}
