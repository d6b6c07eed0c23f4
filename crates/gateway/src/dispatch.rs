//! Routing of one client request by method, shared by both protocol eras.

use crate::context::CallCtx;
use crate::forward::forward;
use crate::lists::{aggregate, ListKind};
use crate::pipeline::decided_call;
use crate::reply::{error_message, OutEvent, Reply};
use crate::session::request_key;
use axum::http::StatusCode;
use behavry_core::CallKind;
use behavry_protocol as proto;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Handle one request. `wants_sse` is true when the client accepts an SSE
/// answer, which lets progress and keep-alives reach it during the call.
pub async fn dispatch(
    ctx: CallCtx,
    id: Value,
    method: &str,
    params: Option<Value>,
    wants_sse: bool,
) -> Reply {
    if let Some(kind) = CallKind::from_method(method) {
        return decided(ctx, id, kind, params, wants_sse).await;
    }
    let reply = routed(ctx, id, method, params).await;
    match reply {
        // A client that accepts SSE gets every answer as a stream, as it
        // would from the upstream itself.
        Reply::Json(StatusCode::OK, body) if wants_sse => Reply::single_event(body),
        other => other,
    }
}

async fn routed(ctx: CallCtx, id: Value, method: &str, params: Option<Value>) -> Reply {
    if let Some(kind) = ListKind::from_method(method) {
        return Reply::ok(&id, aggregate(&ctx, kind).await);
    }
    match method {
        // 2026-07-28 removed ping.
        "ping" if !ctx.modern => Reply::ok(&id, json!({})),
        "completion/complete" => completion(&ctx, &id, params).await,
        "resources/subscribe" | "resources/unsubscribe" if !ctx.modern => {
            subscription(&ctx, &id, method, params).await
        }
        "logging/setLevel" if !ctx.modern => set_level(&ctx, &id, params).await,
        _ => {
            let status = if ctx.modern {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            Reply::error(
                status,
                Some(&id),
                proto::METHOD_NOT_FOUND,
                format!("method `{method}` is not supported by the gateway"),
                None,
            )
        }
    }
}

async fn decided(
    ctx: CallCtx,
    id: Value,
    kind: CallKind,
    params: Option<Value>,
    wants_sse: bool,
) -> Reply {
    let cancel = CancellationToken::new();
    let key = request_key(&id);
    if let Some(session) = &ctx.session {
        session.track(key.clone(), cancel.clone());
    }
    if wants_sse {
        let (tx, rx) = mpsc::channel(64);
        let task_cancel = cancel.clone();
        tokio::spawn(async move {
            let response =
                decided_call(&ctx, &id, kind, params, Some(tx.clone()), task_cancel).await;
            let _ = tx.send(OutEvent::Message(response)).await;
            if let Some(session) = &ctx.session {
                session.untrack(&key);
            }
        });
        return Reply::Stream { events: rx, cancel };
    }
    let response = decided_call(&ctx, &id, kind, params, None, cancel).await;
    if let Some(session) = &ctx.session {
        session.untrack(&key);
    }
    Reply::Json(StatusCode::OK, response)
}

/// `completion/complete` names a prompt or a resource; it is routed to its
/// upstream when the agent may see that prompt or resource.
async fn completion(ctx: &CallCtx, id: &Value, params: Option<Value>) -> Reply {
    let mut params = params.unwrap_or_else(|| json!({}));
    let reference = params.get("ref").cloned().unwrap_or(Value::Null);
    let (field, kind) = match reference.get("type").and_then(Value::as_str) {
        Some("ref/prompt") => ("name", CallKind::PromptsGet),
        Some("ref/resource") => ("uri", CallKind::ResourcesRead),
        _ => {
            return invalid(
                id,
                "completion/complete needs ref.type ref/prompt or ref/resource",
            )
        }
    };
    let Some(exposed) = reference.get(field).and_then(Value::as_str) else {
        return invalid(id, "completion/complete ref has no name or uri");
    };
    let resolved = if kind == CallKind::ResourcesRead {
        ctx.resolve_uri(exposed)
    } else {
        ctx.resolve_name(exposed)
    };
    let Some((upstream, original)) = resolved.filter(|(u, _)| ctx.gw.upstreams.contains(u)) else {
        return invalid(id, "completion/complete ref names no configured upstream");
    };
    if !crate::visibility::visible(ctx, kind, &upstream, original) {
        return Reply::error(
            StatusCode::OK,
            Some(id),
            proto::POLICY_DENIED,
            "denied by policy",
            None,
        );
    }
    let original = original.to_string();
    if let Some(r) = params.get_mut("ref").and_then(Value::as_object_mut) {
        r.insert(field.into(), Value::String(original));
    }
    relay(ctx, id, &upstream, "completion/complete", params).await
}

async fn subscription(ctx: &CallCtx, id: &Value, method: &str, params: Option<Value>) -> Reply {
    let mut params = params.unwrap_or_else(|| json!({}));
    let Some(exposed) = params.get("uri").and_then(Value::as_str) else {
        return invalid(id, "missing params.uri");
    };
    let Some((upstream, original)) = ctx
        .resolve_uri(exposed)
        .filter(|(u, _)| ctx.gw.upstreams.contains(u))
    else {
        return invalid(id, "uri names no configured upstream");
    };
    if !crate::visibility::visible(ctx, CallKind::ResourcesRead, &upstream, original) {
        return Reply::error(
            StatusCode::OK,
            Some(id),
            proto::POLICY_DENIED,
            "denied by policy",
            None,
        );
    }
    let original = original.to_string();
    if let Some(obj) = params.as_object_mut() {
        obj.insert("uri".into(), Value::String(original));
    }
    relay(ctx, id, &upstream, method, params).await
}

async fn set_level(ctx: &CallCtx, id: &Value, params: Option<Value>) -> Reply {
    for upstream in ctx.reachable_upstreams() {
        if let Ok(conn) = ctx.connection(&upstream).await {
            let _ = conn
                .request(
                    "logging/setLevel",
                    params.clone(),
                    None,
                    CancellationToken::new(),
                )
                .await;
        }
    }
    Reply::ok(id, json!({}))
}

async fn relay(ctx: &CallCtx, id: &Value, upstream: &str, method: &str, params: Value) -> Reply {
    let response = match forward(
        ctx,
        upstream,
        method,
        params,
        None,
        CancellationToken::new(),
    )
    .await
    {
        Ok(Ok(result)) => json!({"jsonrpc": "2.0", "id": id, "result": ctx.finish_result(result)}),
        Ok(Err(error)) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
        Err(failure) => error_message(Some(id), proto::UPSTREAM_UNAVAILABLE, failure, None),
    };
    Reply::Json(StatusCode::OK, response)
}

fn invalid(id: &Value, message: &str) -> Reply {
    Reply::error(
        StatusCode::OK,
        Some(id),
        proto::INVALID_PARAMS,
        message,
        None,
    )
}
