//! Turning an approval's release into the held call's response: forward
//! (with an approver's edited arguments when given), or answer with the
//! rejection, the timeout, or a retryable interruption naming the approval.
//! A decided approval serves one call: it is marked collected.

use crate::approvals::Release;
use crate::context::CallCtx;
use crate::pipeline::{decision_data, forward_and_record, outcome, Forwarding};
use crate::reply::{error_message, OutEvent};
use behavry_core::{CallOutcome, Decision};
use behavry_protocol as proto;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Turn an approval's release into the call's response.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn settle(
    ctx: &CallCtx,
    call: &Forwarding<'_>,
    decision: &Decision,
    approval_id: &str,
    release: Option<Release>,
    params: Option<Value>,
    out: Option<mpsc::Sender<OutEvent>>,
    cancel: CancellationToken,
) -> Value {
    let mut data = decision_data(decision);
    if let Some(obj) = data.as_object_mut() {
        obj.insert("approval_id".into(), json!(approval_id));
    }
    let blocked = |reason: String| {
        outcome(ctx, &decision.id, CallOutcome::Blocked { reason });
    };
    match release {
        Some(Release::Approved { arguments, .. }) => {
            collect(ctx, approval_id);
            let params = match arguments {
                Some(edited) => with_arguments(params, edited),
                None => params,
            };
            let call = Forwarding {
                approved: true,
                ..*call
            };
            forward_and_record(ctx, &call, params, out, cancel).await
        }
        Some(Release::Rejected { reason, .. }) => {
            collect(ctx, approval_id);
            let reason = reason.unwrap_or_else(|| "no reason given".into());
            blocked(format!("rejected by an approver: {reason}"));
            error_message(
                Some(call.id),
                proto::APPROVAL_REJECTED,
                format!("rejected by an approver: {reason}"),
                Some(data),
            )
        }
        Some(Release::Expired) => {
            collect(ctx, approval_id);
            blocked("approval timed out".into());
            error_message(
                Some(call.id),
                proto::APPROVAL_TIMEOUT,
                "denied: no approval decision before the timeout",
                Some(data),
            )
        }
        Some(Release::Interrupted) => {
            blocked("gateway shut down while the call was held".into());
            if let Some(obj) = data.as_object_mut() {
                obj.insert("retryable".into(), json!(true));
            }
            error_message(
                Some(call.id),
                proto::APPROVAL_INTERRUPTED,
                format!(
                    "the gateway is restarting; approval {approval_id} is still pending — \
                     send the identical call again to wait for or receive its outcome"
                ),
                Some(data),
            )
        }
        None => {
            outcome(ctx, &decision.id, CallOutcome::Cancelled);
            error_message(
                Some(call.id),
                proto::POLICY_DENIED,
                "cancelled while held for approval",
                Some(data),
            )
        }
    }
}

/// A decided approval serves one call: mark it collected so a later
/// identical call opens a new request.
fn collect(ctx: &CallCtx, approval_id: &str) {
    let gw = ctx.gw.clone();
    let id = approval_id.to_string();
    tokio::spawn(async move {
        if let Err(e) = gw.store.collect_approval(&id).await {
            tracing::debug!(approval = %id, error = %e, "approval already collected");
        }
    });
}

/// Replace the call's arguments with an approver's edit.
fn with_arguments(params: Option<Value>, edited: Value) -> Option<Value> {
    let mut params = params.unwrap_or_else(|| json!({}));
    if let Some(obj) = params.as_object_mut() {
        obj.insert("arguments".into(), edited);
    }
    Some(params)
}
