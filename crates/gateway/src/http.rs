//! The downstream HTTP surface: `/mcp` (all upstreams, qualified names) and
//! `/mcp/{upstream}` (one upstream, its own names). Authenticates the agent,
//! parses the envelope and hands the message to the era it belongs to.

use crate::legacy;
use crate::modern;
use crate::reply::{error_message, unauthorized};
use crate::state::Gateway;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use behavry_core::AgentIdentity;
use behavry_protocol as proto;
use std::sync::Arc;

pub fn router(gw: Arc<Gateway>) -> Router {
    let limit = gw.settings.max_body_bytes;
    Router::new()
        .route("/mcp", post(post_all).get(get_all).delete(delete_all))
        .route(
            "/mcp/{upstream}",
            post(post_scoped).get(get_scoped).delete(delete_scoped),
        )
        .route("/workflows", post(crate::workflow_api::start))
        .route(
            "/workflows/public-key",
            get(crate::workflow_api::public_key),
        )
        .layer(DefaultBodyLimit::max(limit))
        .with_state(gw)
}

async fn post_all(State(gw): State<Arc<Gateway>>, headers: HeaderMap, body: Bytes) -> Response {
    handle_post(gw, None, headers, body).await
}

async fn post_scoped(
    State(gw): State<Arc<Gateway>>,
    Path(upstream): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle_post(gw, Some(upstream), headers, body).await
}

async fn get_all(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    handle_get(gw, None, headers).await
}

async fn get_scoped(
    State(gw): State<Arc<Gateway>>,
    Path(upstream): Path<String>,
    headers: HeaderMap,
) -> Response {
    handle_get(gw, Some(upstream), headers).await
}

async fn delete_all(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    handle_delete(gw, None, headers).await
}

async fn delete_scoped(
    State(gw): State<Arc<Gateway>>,
    Path(upstream): Path<String>,
    headers: HeaderMap,
) -> Response {
    handle_delete(gw, Some(upstream), headers).await
}

/// Authenticate and check the scope; `Err` is the response to send.
fn admit(
    gw: &Gateway,
    scope: Option<&str>,
    headers: &HeaderMap,
) -> Result<Arc<AgentIdentity>, Box<Response>> {
    let agent = admit_agent(gw, headers)?;
    if let Some(scope) = scope {
        if !gw.upstreams.contains(scope) {
            let body = error_message(
                None,
                proto::INVALID_REQUEST,
                format!("no upstream named `{scope}`"),
                None,
            );
            return Err(Box::new(
                (StatusCode::NOT_FOUND, axum::Json(body)).into_response(),
            ));
        }
    }
    Ok(agent)
}

/// Check the host (loopback listeners) and authenticate the agent.
pub(crate) fn admit_agent(
    gw: &Gateway,
    headers: &HeaderMap,
) -> Result<Arc<AgentIdentity>, Box<Response>> {
    if gw.settings.loopback_only && !crate::origin::is_local_request(headers) {
        let body = error_message(
            None,
            proto::INVALID_REQUEST,
            "host or origin is not allowed on a loopback listener",
            None,
        );
        return Err(Box::new(
            (StatusCode::FORBIDDEN, axum::Json(body)).into_response(),
        ));
    }
    let agent = gw
        .agents
        .authenticate(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))
        .map_err(|e| {
            gw.metrics
                .auth_failures
                .get_or_create(&crate::metrics::ReasonLabels {
                    reason: format!("{e:?}").to_lowercase(),
                })
                .inc();
            Box::new(unauthorized(&e.to_string()))
        })?;
    Ok(agent)
}

pub(crate) fn accepts_sse(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream") || v.contains("*/*"))
}

pub(crate) fn session_header(headers: &HeaderMap) -> Option<&str> {
    headers.get("mcp-session-id").and_then(|v| v.to_str().ok())
}

async fn handle_post(
    gw: Arc<Gateway>,
    scope: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let agent = match admit(&gw, scope.as_deref(), &headers) {
        Ok(a) => a,
        Err(response) => return *response,
    };
    let message = match proto::parse_message(&body) {
        Ok(m) => m,
        Err(e) => {
            let body = error_message(None, e.code(), e.to_string(), None);
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
    };
    let params = match &message {
        proto::Message::Request { params, .. } | proto::Message::Notification { params, .. } => {
            params.as_ref()
        }
        proto::Message::Response { .. } => None,
    };
    if proto::is_modern_request(&headers, params) {
        modern::handle(gw, agent, scope, &headers, message).await
    } else {
        legacy::handle(gw, agent, scope, &headers, message).await
    }
}

async fn handle_get(gw: Arc<Gateway>, scope: Option<String>, headers: HeaderMap) -> Response {
    let agent = match admit(&gw, scope.as_deref(), &headers) {
        Ok(a) => a,
        Err(response) => return *response,
    };
    legacy::open_stream(gw, agent, &headers)
}

async fn handle_delete(gw: Arc<Gateway>, scope: Option<String>, headers: HeaderMap) -> Response {
    let agent = match admit(&gw, scope.as_deref(), &headers) {
        Ok(a) => a,
        Err(response) => return *response,
    };
    legacy::end_session(gw, agent, &headers).await
}
