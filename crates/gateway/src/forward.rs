//! Forwarding an allowed request to its upstream, relaying what the
//! upstream sends meanwhile (progress, server-to-client requests) to the
//! client: on the request's own SSE stream when there is one, else on the
//! session's GET stream.

use crate::context::{strip_envelope, CallCtx};
use crate::reply::OutEvent;
use behavry_upstream::{Era, ServerMessage};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Forward `method` with `params` to `upstream`. `Ok(Ok(result))`,
/// `Ok(Err(jsonrpc_error))` from the upstream, or `Err(message)` when the
/// upstream could not answer (message safe to show the client).
pub async fn forward(
    ctx: &CallCtx,
    upstream: &str,
    method: &str,
    mut params: Value,
    out: Option<mpsc::Sender<OutEvent>>,
    cancel: CancellationToken,
) -> Result<Result<Value, Value>, String> {
    let conn = ctx.connection(upstream).await.map_err(|e| e.to_string())?;
    // A session-based upstream must not see the stateless envelope; a
    // stateless one keeps the client's own capabilities (the connection
    // stamps its protocol version), so input_required rounds reach the client.
    if conn.era() == Era::Legacy {
        strip_envelope(&mut params);
    }
    let (interim_tx, mut interim_rx) = mpsc::channel::<ServerMessage>(64);
    let relay_ctx = ctx.clone();
    let relay_upstream = upstream.to_string();
    let relay = tokio::spawn(async move {
        while let Some(message) = interim_rx.recv().await {
            let value = match &relay_ctx.session {
                Some(session) => session.to_client(&relay_upstream, message),
                None => match message {
                    ServerMessage::Notification(v) => v,
                    // Stateless clients cannot answer server-to-client
                    // requests; the upstream connection declared no such
                    // capabilities, so this is unexpected and dropped.
                    ServerMessage::Request(_) => {
                        tracing::warn!(upstream = %relay_upstream, "dropped a server-to-client request for a stateless client");
                        continue;
                    }
                },
            };
            match (&out, &relay_ctx.session) {
                (Some(out), _) => {
                    let _ = out.send(OutEvent::Message(value)).await;
                }
                (None, Some(session)) => session.push_to_stream(value),
                (None, None) => {}
            }
        }
    });
    let result = conn
        .request(method, Some(params), Some(interim_tx), cancel)
        .await;
    // The interim sender moved into `request` is dropped by now; let the
    // relay drain what is left so the response is the last event.
    let _ = relay.await;
    result.map_err(|e| format!("upstream `{upstream}` failed: {e}"))
}
