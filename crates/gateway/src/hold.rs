//! Holding an intercepted call: the client is kept informed (progress
//! notifications when it sent a progress token, SSE keep-alives otherwise)
//! until operators decide, the approval expires, the gateway shuts down or
//! the client goes away.

use crate::approvals::Release;
use crate::context::CallCtx;
use crate::reply::OutEvent;
use serde_json::{json, Value};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Extra time a waiter allows past the approval's expiry, so the store's
/// expiry (and any decision made at the last instant) settles first.
const EXPIRY_GRACE: Duration = Duration::from_secs(1);

/// Wait for the approval, keeping the client's stream alive. `None` when
/// the client went away first.
pub(crate) async fn hold(
    ctx: &CallCtx,
    approval_id: &str,
    rx: watch::Receiver<Option<Release>>,
    expires_at: OffsetDateTime,
    out: Option<&mpsc::Sender<OutEvent>>,
    meta: Option<&Value>,
    cancel: &CancellationToken,
) -> Option<Release> {
    let remaining = (expires_at - OffsetDateTime::now_utc())
        .try_into()
        .unwrap_or(Duration::ZERO)
        + EXPIRY_GRACE;
    let wait = ctx.gw.approvals.wait(approval_id, rx, remaining);
    tokio::pin!(wait);
    let mut tick = tokio::time::interval(ctx.gw.settings.keepalive);
    tick.tick().await;
    let mut beats = 0u64;
    let released = loop {
        tokio::select! {
            release = &mut wait => break Some(release),
            _ = cancel.cancelled() => break None,
            _ = ctx.gw.shutdown.cancelled() => break Some(Release::Interrupted),
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
    };
    // The approval stays in the store for operators; this call stops waiting.
    ctx.gw.approvals.forget(approval_id);
    released
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
