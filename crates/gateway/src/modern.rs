//! The stateless protocol era (2026-07-28): every request is self-contained.
//! Routing headers are checked against the body before anything else looks
//! at the request; a mismatch is rejected, never trusted.

use crate::context::CallCtx;
use crate::dispatch::dispatch;
use crate::http::accepts_sse;
use crate::reply::Reply;
use crate::state::Gateway;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use behavry_core::AgentIdentity;
use behavry_protocol::{self as proto, Message};
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn handle(
    gw: Arc<Gateway>,
    agent: Arc<AgentIdentity>,
    scope: Option<String>,
    headers: &HeaderMap,
    message: Message,
) -> Response {
    let (id, method, params) = match message {
        Message::Request { id, method, params } => (
            serde_json::to_value(&id).unwrap_or(Value::Null),
            method,
            params,
        ),
        // This era defines no client-to-server notifications or responses over HTTP.
        Message::Notification { .. } | Message::Response { .. } => {
            return Reply::Accepted.into_response(None)
        }
    };
    let request = match proto::validate_modern_request(headers, &method, params.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            let status = StatusCode::from_u16(e.http_status).unwrap_or(StatusCode::BAD_REQUEST);
            return Reply::error(status, Some(&id), e.code, e.message, e.data).into_response(None);
        }
    };
    if method == "server/discover" {
        return Reply::ok(&id, discover_result()).into_response(None);
    }
    let ctx = CallCtx {
        gw,
        agent,
        session: None,
        modern: true,
        protocol_version: request.protocol_version,
        scope,
        client_info: request.client_info,
        workflow_headers: crate::workflows::WorkflowHeaders::from_headers(headers),
    };
    dispatch(ctx, id, &method, params, accepts_sse(headers))
        .await
        .into_response(None)
}

fn discover_result() -> Value {
    // `subscriptions/listen` is not served yet, so no change notifications
    // or subscriptions are advertised to stateless clients.
    let capabilities = json!({"tools": {}, "resources": {}, "prompts": {}, "completions": {}});
    json!({
        "supportedVersions": proto::MODERN_VERSIONS,
        "capabilities": capabilities,
        "instructions": "Behavry gateway: tools and prompts are named `<upstream>.<name>`, resources `<upstream>+<uri>`.",
        "resultType": "complete",
        "ttlMs": 0,
        "cacheScope": "private",
        "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "behavry", "version": env!("CARGO_PKG_VERSION")}},
    })
}
