//! Holding an intercepted call: the approval is stored and registered, and
//! the client is kept informed (progress notifications when it sent a
//! progress token, SSE keep-alives otherwise) until an operator resolves it,
//! the timeout expires it, or the client goes away.

use crate::approvals::Release;
use crate::context::CallCtx;
use crate::reply::OutEvent;
use behavry_core::{Decision, PolicyInput};
use behavry_store::NewApproval;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub(crate) async fn open_approval(
    ctx: &CallCtx,
    decision: &Decision,
    input: &PolicyInput,
    arguments: &Value,
) -> Result<(String, tokio::sync::watch::Receiver<Option<Release>>), String> {
    let now = OffsetDateTime::now_utc();
    let approval = NewApproval {
        decision_id: decision.id.clone(),
        agent_id: input.agent.id.clone(),
        agent_name: input.agent.name.clone(),
        method: input.call.method,
        upstream: input.call.upstream.clone(),
        tool: input.call.tool.clone(),
        arguments: arguments.clone(),
        reasons: decision.reasons.clone(),
        created_at: now,
        expires_at: now + ctx.gw.settings.approval_timeout,
    };
    match ctx.gw.approvals.open(approval).await {
        Ok((record, rx)) => Ok((record.id, rx)),
        Err(e) => {
            tracing::error!(error = %e, "could not open an approval; denying the call");
            Err("approval could not be recorded".into())
        }
    }
}

/// Wait for an operator, keeping the client's stream alive. `None` when the
/// client went away first.
pub(crate) async fn hold(
    ctx: &CallCtx,
    approval_id: &str,
    rx: tokio::sync::watch::Receiver<Option<Release>>,
    out: Option<&mpsc::Sender<OutEvent>>,
    meta: Option<&Value>,
    cancel: &CancellationToken,
) -> Option<Release> {
    let wait = ctx
        .gw
        .approvals
        .wait(approval_id, rx, ctx.gw.settings.approval_timeout);
    tokio::pin!(wait);
    let mut tick = tokio::time::interval(ctx.gw.settings.keepalive);
    tick.tick().await;
    let mut beats = 0u64;
    loop {
        tokio::select! {
            release = &mut wait => return Some(release),
            _ = cancel.cancelled() => {
                // The approval stays pending for operators; the waiter is gone.
                ctx.gw.approvals.forget(approval_id);
                return None;
            }
            _ = tick.tick() => {
                beats += 1;
                if let Some(out) = out {
                    let event = match progress_token(meta) {
                        Some(token) => OutEvent::Message(progress(token, beats, approval_id)),
                        None => OutEvent::KeepAlive,
                    };
                    let _ = out.send(event).await;
                }
            }
        }
    }
}

pub(crate) async fn notify_held(
    out: &mpsc::Sender<OutEvent>,
    approval_id: &str,
    meta: Option<&Value>,
) {
    if let Some(token) = progress_token(meta) {
        let _ = out
            .send(OutEvent::Message(progress(token, 0, approval_id)))
            .await;
    }
}

fn progress_token(meta: Option<&Value>) -> Option<&Value> {
    meta?.get("progressToken")
}

fn progress(token: &Value, step: u64, approval_id: &str) -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {
        "progressToken": token,
        "progress": step,
        "message": format!("held for human approval (approval {approval_id})"),
    }})
}
