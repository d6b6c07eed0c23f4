//! Streamable HTTP transport on `/mcp` for both protocol eras.
//!
//! Legacy (≤ 2025-11-25): `initialize` creates a session announced in
//! `Mcp-Session-Id`; later messages must echo it (missing → 400, unknown →
//! 404); DELETE ends it; GET streams are not offered (405).
//! Modern (2026-07-28): every POST is self-contained, validated against its
//! routing headers, and JSON-RPC errors map to HTTP statuses.
//! Both: notifications and responses get 202; a request that will emit
//! progress is answered with an SSE stream, any other with JSON; requests
//! from a non-local `Origin` are refused (DNS-rebinding protection).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use futures::StreamExt;
use serde_json::Value;
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::dispatch::{emits_progress, resolve_era, Dispatcher};
use crate::era::{Era, RoutingHeaders};
use crate::rpc::{self, Incoming, RpcError};

const SESSION_HEADER: &str = "mcp-session-id";

struct HttpState {
    dispatcher: Arc<Dispatcher>,
    /// Live legacy sessions: id → negotiated protocol version.
    sessions: Mutex<HashMap<String, String>>,
}

pub async fn serve(dispatcher: Arc<Dispatcher>, addr: SocketAddr) -> anyhow::Result<()> {
    let state = Arc::new(HttpState {
        dispatcher,
        sessions: Mutex::new(HashMap::new()),
    });
    let app = Router::new()
        .route(
            "/mcp",
            post(handle_post).delete(handle_delete).get(handle_get),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    eprintln!("behavry-demo-server listening on http://{local}/mcp");
    axum::serve(listener, app)
        .with_graceful_shutdown(crate::shutdown_signal())
        .await?;
    Ok(())
}

async fn handle_post(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = check_origin(&headers) {
        return refusal;
    }
    if !header_str(&headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|value| value.starts_with("application/json"))
    {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type must be application/json",
        );
    }
    if !accepts_json_and_sse(&headers) {
        return plain(
            StatusCode::NOT_ACCEPTABLE,
            "accept must include application/json and text/event-stream",
        );
    }
    let message: Value = match serde_json::from_slice(&body) {
        Ok(message) => message,
        Err(error) => {
            let error = RpcError::new(rpc::PARSE_ERROR, format!("invalid json: {error}"));
            return json_reply(
                StatusCode::BAD_REQUEST,
                rpc::error_response(&Value::Null, &error),
                None,
            );
        }
    };
    let routing = routing_headers(&headers);
    let (id, method, params) = match rpc::classify(&message) {
        Err(reply) => return json_reply(StatusCode::BAD_REQUEST, reply, None),
        Ok(Incoming::Request { id, method, params }) => (id, method, params),
        Ok(Incoming::Notification { params, .. }) => {
            return accept_notification(&state, &headers, &routing, &params)
        }
        Ok(Incoming::Response) => return StatusCode::ACCEPTED.into_response(),
    };
    let era = match resolve_era(&method, &params, Some(&routing)) {
        Ok(era) => era,
        Err(error) => {
            return json_reply(
                modern_status(&error),
                rpc::error_response(&id, &error),
                None,
            )
        }
    };
    match era {
        Era::Modern => answer(&state, id, method, params, Era::Modern, None).await,
        Era::Legacy if method == "initialize" => {
            let session_id = uuid::Uuid::new_v4().simple().to_string();
            let reply = state
                .dispatcher
                .handle_request(&id, &method, &params, Era::Legacy, None)
                .await;
            if let Some(version) = reply
                .pointer("/result/protocolVersion")
                .and_then(Value::as_str)
            {
                lock(&state.sessions).insert(session_id.clone(), version.to_owned());
                json_reply(StatusCode::OK, reply, Some(&session_id))
            } else {
                json_reply(StatusCode::OK, reply, None)
            }
        }
        Era::Legacy => match check_session(&state, &headers) {
            Ok(session_id) => {
                answer(&state, id, method, params, Era::Legacy, Some(session_id)).await
            }
            Err(refusal) => refusal.into_response(),
        },
    }
}

async fn handle_delete(State(state): State<Arc<HttpState>>, headers: HeaderMap) -> Response {
    if let Some(refusal) = check_origin(&headers) {
        return refusal;
    }
    match check_session(&state, &headers) {
        Ok(session_id) => {
            lock(&state.sessions).remove(&session_id);
            StatusCode::OK.into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}

async fn handle_get() -> Response {
    let mut response = plain(
        StatusCode::METHOD_NOT_ALLOWED,
        "this server offers no standalone event stream",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST, DELETE"));
    response
}

async fn answer(
    state: &Arc<HttpState>,
    id: Value,
    method: String,
    params: Value,
    era: Era,
    session_id: Option<String>,
) -> Response {
    let dispatcher = Arc::clone(&state.dispatcher);
    if !emits_progress(dispatcher.profile().kind(), &method, &params) {
        let reply = dispatcher
            .handle_request(&id, &method, &params, era, None)
            .await;
        let status = match (era, reply.get("error")) {
            (Era::Modern, Some(error)) => {
                modern_status_code(error.get("code").and_then(Value::as_i64))
            }
            _ => StatusCode::OK,
        };
        return json_reply(status, reply, session_id.as_deref());
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    tokio::spawn(async move {
        let reply = dispatcher
            .handle_request(&id, &method, &params, era, Some(&tx))
            .await;
        let _ = tx.send(reply);
    });
    let events = UnboundedReceiverStream::new(rx).map(|message| {
        Ok::<_, Infallible>(Bytes::from(format!("event: message\ndata: {message}\n\n")))
    });
    let mut response = Response::new(Body::from_stream(events));
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    add_session_header(&mut response, session_id.as_deref());
    response
}

fn accept_notification(
    state: &HttpState,
    headers: &HeaderMap,
    routing: &RoutingHeaders,
    params: &Value,
) -> Response {
    let modern = crate::era::is_modern_request(params)
        || routing
            .protocol_version
            .as_deref()
            .is_some_and(|version| !crate::era::LEGACY_VERSIONS.contains(&version));
    if modern {
        return StatusCode::ACCEPTED.into_response();
    }
    match check_session(state, headers) {
        Ok(_) => StatusCode::ACCEPTED.into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// Why a legacy message was refused at the session check.
enum SessionRefusal {
    Missing,
    Unknown,
}

impl IntoResponse for SessionRefusal {
    fn into_response(self) -> Response {
        match self {
            Self::Missing => {
                let error = RpcError::new(rpc::INVALID_REQUEST, "missing mcp-session-id header");
                json_reply(
                    StatusCode::BAD_REQUEST,
                    rpc::error_response(&Value::Null, &error),
                    None,
                )
            }
            Self::Unknown => plain(StatusCode::NOT_FOUND, "unknown or expired session"),
        }
    }
}

/// The caller's live legacy session id.
fn check_session(state: &HttpState, headers: &HeaderMap) -> Result<String, SessionRefusal> {
    let session_id = header_str(headers, SESSION_HEADER).ok_or(SessionRefusal::Missing)?;
    if lock(&state.sessions).contains_key(session_id) {
        Ok(session_id.to_owned())
    } else {
        Err(SessionRefusal::Unknown)
    }
}

fn check_origin(headers: &HeaderMap) -> Option<Response> {
    let origin = header_str(headers, header::ORIGIN.as_str())?;
    let host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin)
        .trim_end_matches('/');
    let host = host.rsplit_once(':').map(|(name, _)| name).unwrap_or(host);
    if matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
        None
    } else {
        Some(plain(StatusCode::FORBIDDEN, "origin not allowed"))
    }
}

fn accepts_json_and_sse(headers: &HeaderMap) -> bool {
    let accept = header_str(headers, header::ACCEPT.as_str()).unwrap_or("");
    let has = |wanted: &str| {
        accept
            .split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim())
            .any(|media| media == wanted || media == "*/*")
    };
    has("application/json") && has("text/event-stream")
}

fn routing_headers(headers: &HeaderMap) -> RoutingHeaders {
    RoutingHeaders {
        protocol_version: header_str(headers, "mcp-protocol-version").map(str::to_owned),
        method: header_str(headers, "mcp-method").map(str::to_owned),
        name: header_str(headers, "mcp-name").map(str::to_owned),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn modern_status(error: &RpcError) -> StatusCode {
    modern_status_code(Some(error.code))
}

/// HTTP status for a JSON-RPC error code on the modern wire.
fn modern_status_code(code: Option<i64>) -> StatusCode {
    match code {
        Some(rpc::METHOD_NOT_FOUND) => StatusCode::NOT_FOUND,
        Some(
            rpc::PARSE_ERROR
            | rpc::INVALID_REQUEST
            | rpc::INVALID_PARAMS
            | rpc::HEADER_MISMATCH
            | rpc::UNSUPPORTED_PROTOCOL_VERSION
            | -32021,
        ) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

fn json_reply(status: StatusCode, body: Value, session_id: Option<&str>) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    add_session_header(&mut response, session_id);
    response
}

fn add_session_header(response: &mut Response, session_id: Option<&str>) {
    if let Some(value) = session_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        response.headers_mut().insert(SESSION_HEADER, value);
    }
}

fn plain(status: StatusCode, message: &'static str) -> Response {
    (status, message).into_response()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
