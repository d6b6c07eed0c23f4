//! What a handled request turns into, and the one place that maps gateway
//! errors to JSON-RPC and HTTP responses. Internals never leak: the client
//! sees a code, a message meant for it and, where useful, the decision id.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use behavry_protocol as proto;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

/// A message on its way to the client while a request is in flight.
#[derive(Debug, Clone)]
pub enum OutEvent {
    Message(Value),
    KeepAlive,
}

/// The result of handling one POSTed message.
pub enum Reply {
    /// One JSON-RPC message as `application/json`, with this HTTP status.
    Json(StatusCode, Value),
    /// An SSE stream; the last message is the response. Dropping the body
    /// (client gone) cancels `cancel`, which cancels the upstream request.
    Stream {
        events: mpsc::Receiver<OutEvent>,
        cancel: CancellationToken,
    },
    /// `202 Accepted` for notifications and responses.
    Accepted,
}

impl Reply {
    pub fn ok(id: &Value, result: Value) -> Self {
        Reply::Json(
            StatusCode::OK,
            json!({"jsonrpc": "2.0", "id": id, "result": result}),
        )
    }

    /// One message as an SSE stream of one event.
    pub fn single_event(body: Value) -> Self {
        let (tx, events) = mpsc::channel(1);
        let _ = tx.try_send(OutEvent::Message(body));
        Reply::Stream {
            events,
            cancel: CancellationToken::new(),
        }
    }

    pub fn error(
        status: StatusCode,
        id: Option<&Value>,
        code: i64,
        message: impl Into<String>,
        data: Option<Value>,
    ) -> Self {
        Reply::Json(status, error_message(id, code, message, data))
    }

    pub fn into_response(self, session_id: Option<&str>) -> Response {
        let mut response = match self {
            Reply::Json(status, body) => (status, axum::Json(body)).into_response(),
            Reply::Accepted => StatusCode::ACCEPTED.into_response(),
            Reply::Stream { events, cancel } => sse_response(events, cancel),
        };
        if let Some(id) = session_id {
            if let Ok(value) = HeaderValue::from_str(id) {
                response.headers_mut().insert("mcp-session-id", value);
            }
        }
        response
    }
}

/// A JSON-RPC error message.
pub fn error_message(
    id: Option<&Value>,
    code: i64,
    message: impl Into<String>,
    data: Option<Value>,
) -> Value {
    let mut error = json!({"code": code, "message": message.into()});
    if let (Some(data), Some(obj)) = (data, error.as_object_mut()) {
        obj.insert("data".into(), data);
    }
    json!({"jsonrpc": "2.0", "id": id.cloned().unwrap_or(Value::Null), "error": error})
}

/// `401` for a refused agent credential.
pub fn unauthorized(reason: &str) -> Response {
    let body = error_message(
        None,
        proto::UNAUTHORIZED,
        format!("unauthorized: {reason}"),
        None,
    );
    let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    let challenge = format!(
        "Bearer realm=\"behavry\", error=\"invalid_token\", error_description=\"{reason}\""
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

struct Guarded<S> {
    inner: S,
    _guard: DropGuard,
}

impl<S: futures::Stream + Unpin> futures::Stream for Guarded<S> {
    type Item = S::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// Encode `events` as an SSE body; the stream ends when the sender is done.
pub fn sse_response(events: mpsc::Receiver<OutEvent>, cancel: CancellationToken) -> Response {
    let stream = tokio_stream::wrappers::ReceiverStream::new(events).map(|event| {
        let text = match event {
            OutEvent::Message(v) => proto::encode_sse_event(None, Some("message"), &v.to_string()),
            OutEvent::KeepAlive => ": keepalive\n\n".to_string(),
        };
        Ok::<_, std::convert::Infallible>(text)
    });
    let body = Body::from_stream(Guarded {
        inner: stream,
        _guard: cancel.drop_guard(),
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
