//! The session-based protocol era (≤ 2025-11-25): `initialize` opens a
//! session, later requests carry `Mcp-Session-Id`, GET opens the session's
//! server-to-client stream and DELETE ends it.

use crate::context::CallCtx;
use crate::dispatch::dispatch;
use crate::http::{accepts_sse, session_header};
use crate::reply::{error_message, sse_response, OutEvent, Reply};
use crate::session::{request_key, Session};
use crate::state::Gateway;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use behavry_core::AgentIdentity;
use behavry_protocol::{self as proto, Message};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

pub async fn handle(
    gw: Arc<Gateway>,
    agent: Arc<AgentIdentity>,
    scope: Option<String>,
    headers: &HeaderMap,
    message: Message,
) -> Response {
    if let Message::Request { id, method, params } = &message {
        if method == "initialize" {
            let id = serde_json::to_value(id).unwrap_or(Value::Null);
            return initialize(&gw, agent, scope, &id, params.as_ref());
        }
    }
    let Some(session_id) = session_header(headers) else {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            None,
            proto::INVALID_REQUEST,
            "missing Mcp-Session-Id: send initialize first",
            None,
        )
        .into_response(None);
    };
    let Some(session) = gw.sessions.get(session_id, &agent.id) else {
        return Reply::error(
            StatusCode::NOT_FOUND,
            None,
            proto::INVALID_REQUEST,
            "session not found",
            None,
        )
        .into_response(None);
    };
    session.touch();
    let ctx = CallCtx {
        gw: gw.clone(),
        agent,
        modern: false,
        protocol_version: session.protocol_version.clone(),
        scope: session.scope.clone(),
        client_info: session.client_info.clone(),
        session: Some(session.clone()),
        workflow_headers: crate::workflows::WorkflowHeaders::from_headers(headers),
    };
    match message {
        Message::Request { id, method, params } => {
            let id = serde_json::to_value(&id).unwrap_or(Value::Null);
            dispatch(ctx, id, &method, params, accepts_sse(headers))
                .await
                .into_response(None)
        }
        Message::Notification { method, params } => {
            notification(&session, &gw, &method, params).await;
            Reply::Accepted.into_response(None)
        }
        Message::Response { id, result, error } => {
            answer_server_request(&session, &gw, id, result, error).await;
            Reply::Accepted.into_response(None)
        }
    }
}

fn initialize(
    gw: &Arc<Gateway>,
    agent: Arc<AgentIdentity>,
    scope: Option<String>,
    id: &Value,
    params: Option<&Value>,
) -> Response {
    let requested = params
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str)
        .unwrap_or(proto::LATEST_LEGACY);
    let version = proto::negotiate_legacy(requested).to_string();
    let capabilities = params
        .and_then(|p| p.get("capabilities"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let client_info = params.and_then(|p| p.get("clientInfo")).cloned();
    let session = Session::new(
        agent.id.clone(),
        scope.clone(),
        version.clone(),
        capabilities,
        client_info,
        &gw.upstreams,
    );
    gw.sessions.insert(session.clone());
    gw.metrics.sessions.set(gw.sessions.len() as i64);
    tracing::info!(agent = %agent.name, session = %session.id, version = %version, "session opened");
    let instructions = match &scope {
        Some(s) => format!("Behavry gateway in front of upstream `{s}`."),
        None => "Behavry gateway: tools and prompts are named `<upstream>.<name>`, resources `<upstream>+<uri>`.".to_string(),
    };
    let result = json!({
        "protocolVersion": version,
        "capabilities": server_capabilities(),
        "serverInfo": {"name": "behavry", "version": env!("CARGO_PKG_VERSION")},
        "instructions": instructions,
    });
    Reply::ok(id, result).into_response(Some(&session.id))
}

pub fn server_capabilities() -> Value {
    json!({
        "tools": {"listChanged": true},
        "resources": {"subscribe": true, "listChanged": true},
        "prompts": {"listChanged": true},
        "completions": {},
        "logging": {},
    })
}

async fn notification(
    session: &Arc<Session>,
    gw: &Arc<Gateway>,
    method: &str,
    params: Option<Value>,
) {
    match method {
        "notifications/cancelled" => {
            if let Some(request_id) = params.as_ref().and_then(|p| p.get("requestId")) {
                session.cancel(&request_key(request_id));
            }
        }
        "notifications/roots/list_changed" => {
            for conn in session.open_connections().await {
                let _ = conn.notify(method, params.clone()).await;
            }
        }
        "notifications/initialized" => {}
        other => {
            tracing::debug!(session = %session.id, method = other, upstreams = gw.upstreams.names().count(), "client notification not relayed")
        }
    }
}

async fn answer_server_request(
    session: &Arc<Session>,
    gw: &Arc<Gateway>,
    id: Option<proto::RequestId>,
    result: Option<Value>,
    error: Option<Value>,
) {
    let id = serde_json::to_value(&id).unwrap_or(Value::Null);
    let Some(gateway_id) = id.as_str() else {
        tracing::warn!(session = %session.id, "client answered a request the gateway did not send");
        return;
    };
    let Some((upstream, original)) = session.take_server_request(gateway_id) else {
        tracing::warn!(session = %session.id, "client answered an unknown or already answered request");
        return;
    };
    let outcome = match (result, error) {
        (Some(r), _) => Ok(r),
        (None, Some(e)) => Err(e),
        (None, None) => {
            Err(json!({"code": proto::INTERNAL_ERROR, "message": "client sent an empty response"}))
        }
    };
    match session.connection(&upstream, &gw.upstreams).await {
        Ok(conn) => {
            if let Err(e) = conn.respond(original, outcome).await {
                tracing::warn!(session = %session.id, upstream = %upstream, error = %e, "could not relay the client's answer");
            }
        }
        Err(e) => {
            tracing::warn!(session = %session.id, error = %e, "answer for an unavailable upstream dropped")
        }
    }
}

/// `GET`: the session's server-to-client stream.
pub fn open_stream(gw: Arc<Gateway>, agent: Arc<AgentIdentity>, headers: &HeaderMap) -> Response {
    if !accepts_sse(headers) {
        let body = error_message(
            None,
            proto::INVALID_REQUEST,
            "GET requires Accept: text/event-stream",
            None,
        );
        return (StatusCode::NOT_ACCEPTABLE, axum::Json(body)).into_response();
    }
    let Some(session) = session_header(headers).and_then(|id| gw.sessions.get(id, &agent.id))
    else {
        let body = error_message(None, proto::INVALID_REQUEST, "session not found", None);
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    };
    let mut rx = session.subscribe_stream();
    let (tx, events) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    let keepalive = gw.settings.keepalive;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(keepalive);
        tick.tick().await;
        loop {
            let event = tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => OutEvent::KeepAlive,
                message = rx.recv() => match message {
                    Ok(v) => OutEvent::Message(v),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            };
            if tx.send(event).await.is_err() {
                return;
            }
        }
    });
    sse_response(events, cancel)
}

/// `DELETE`: end the session and close its upstream connections.
pub async fn end_session(
    gw: Arc<Gateway>,
    agent: Arc<AgentIdentity>,
    headers: &HeaderMap,
) -> Response {
    let Some(session) = session_header(headers).and_then(|id| gw.sessions.remove(id, &agent.id))
    else {
        let body = error_message(None, proto::INVALID_REQUEST, "session not found", None);
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    };
    session.close().await;
    gw.metrics.sessions.set(gw.sessions.len() as i64);
    tracing::info!(session = %session.id, "session ended by client");
    StatusCode::OK.into_response()
}
