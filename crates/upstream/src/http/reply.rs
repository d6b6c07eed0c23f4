//! Reading the HTTP reply to one POSTed request: a JSON body, an SSE stream
//! carrying interim messages and finally the response, or a failure status.
//!
//! Invariants: bodies and SSE events are read with a size cap; reading stops
//! at the response carrying our id (dropping the stream); a failure status
//! becomes a typed error unless it carries a JSON-RPC error object, which is
//! passed back as the request's error.

use futures::StreamExt as _;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use crate::error::UpstreamError;
use crate::message::{classify, Incoming};
use crate::router::{deliver_interim, Outcome};
use crate::spec::ServerMessage;
use crate::sse::SseParser;

/// Largest accepted JSON body or SSE event.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

pub(crate) fn content_type(response: &Response) -> String {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

pub(crate) fn transport_error(upstream: &str, error: reqwest::Error) -> UpstreamError {
    UpstreamError::Unreachable {
        upstream: upstream.to_owned(),
        reason: error.without_url().to_string(),
    }
}

/// Reads a whole body, failing once it exceeds [`MAX_MESSAGE_BYTES`].
pub(crate) async fn read_capped(
    upstream: &str,
    response: Response,
) -> Result<Vec<u8>, UpstreamError> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport_error(upstream, e))?;
        if body.len() + chunk.len() > MAX_MESSAGE_BYTES {
            return Err(UpstreamError::protocol(upstream, "response body too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Maps a non-success status (with its body, if JSON) to the request outcome.
pub(crate) fn classify_failure(
    upstream: &str,
    status: StatusCode,
    body: Option<&Value>,
    has_session: bool,
) -> Result<Outcome, UpstreamError> {
    let error_object = body.and_then(|b| b.get("error")).filter(|e| e.is_object());
    let mentions_session = error_object
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .is_some_and(|m| m.to_ascii_lowercase().contains("session"));
    // 404 is the specified answer for an unknown session; some servers
    // (TypeScript SDK) answer 400 with a message about the session instead.
    if has_session
        && (status == StatusCode::NOT_FOUND
            || (status == StatusCode::BAD_REQUEST && mentions_session))
    {
        return Err(UpstreamError::SessionExpired {
            upstream: upstream.to_owned(),
        });
    }
    let auth_failure = matches!(
        status,
        StatusCode::UNAUTHORIZED
            | StatusCode::FORBIDDEN
            | StatusCode::PROXY_AUTHENTICATION_REQUIRED
    );
    match error_object {
        Some(error) if !auth_failure && !status.is_redirection() => Ok(Err(error.clone())),
        _ => Err(UpstreamError::Http {
            upstream: upstream.to_owned(),
            status: status.as_u16(),
        }),
    }
}

/// Reads the reply to request `id`.
pub(crate) async fn read_reply(
    upstream: &str,
    response: Response,
    id: u64,
    interim: Option<&mpsc::Sender<ServerMessage>>,
    broadcast: &broadcast::Sender<ServerMessage>,
    has_session: bool,
) -> Result<Outcome, UpstreamError> {
    let status = response.status();
    if status == StatusCode::ACCEPTED {
        return Err(UpstreamError::protocol(
            upstream,
            "server answered a request with 202 accepted",
        ));
    }
    let kind = content_type(&response);
    if !status.is_success() {
        let body = if kind.starts_with("application/json") {
            read_capped(upstream, response)
                .await
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        } else {
            None
        };
        return classify_failure(upstream, status, body.as_ref(), has_session);
    }
    if kind.starts_with("application/json") {
        let body = read_capped(upstream, response).await?;
        let message: Value = serde_json::from_slice(&body).map_err(|e| {
            UpstreamError::protocol(upstream, format!("invalid json response: {e}"))
        })?;
        return match classify(message) {
            Some(Incoming::Response { id: got, outcome }) if got.as_u64() == Some(id) => {
                Ok(outcome)
            }
            _ => Err(UpstreamError::protocol(
                upstream,
                "json body is not the response to the request",
            )),
        };
    }
    if kind.starts_with("text/event-stream") {
        return read_sse_reply(upstream, response, id, interim, broadcast).await;
    }
    Err(UpstreamError::protocol(
        upstream,
        format!("unexpected content type {kind:?}"),
    ))
}

async fn read_sse_reply(
    upstream: &str,
    response: Response,
    id: u64,
    interim: Option<&mpsc::Sender<ServerMessage>>,
    broadcast: &broadcast::Sender<ServerMessage>,
) -> Result<Outcome, UpstreamError> {
    let mut parser = SseParser::new(MAX_MESSAGE_BYTES);
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport_error(upstream, e))?;
        let events = parser
            .feed(&chunk)
            .map_err(|_| UpstreamError::protocol(upstream, "sse event too large"))?;
        for event in events {
            if event.event != "message" || event.data.is_empty() {
                continue;
            }
            let message: Value = serde_json::from_str(&event.data).map_err(|e| {
                UpstreamError::protocol(upstream, format!("invalid json in sse event: {e}"))
            })?;
            match classify(message) {
                Some(Incoming::Response { id: got, outcome }) if got.as_u64() == Some(id) => {
                    return Ok(outcome)
                }
                Some(Incoming::Response { id: got, .. }) => {
                    tracing::debug!(%upstream, %got, "ignoring response for another request on sse stream")
                }
                Some(Incoming::Server(message)) => match interim {
                    Some(interim) => deliver_interim(upstream, interim, message, broadcast),
                    None => {
                        let _ = broadcast.send(message);
                    }
                },
                None => tracing::warn!(%upstream, "ignoring sse message that is not json-rpc"),
            }
        }
    }
    Err(UpstreamError::protocol(
        upstream,
        "response stream ended before the response arrived",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failure_statuses_are_classified() {
        let rpc_error =
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32020,"message":"header mismatch"}});
        let session_error = json!({"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}});
        let cases: Vec<(u16, Option<&Value>, bool, &str)> = vec![
            (404, None, true, "expired"),
            (404, None, false, "http"),
            (400, Some(&session_error), true, "expired"),
            (400, Some(&session_error), false, "rpc"),
            (400, Some(&rpc_error), true, "rpc"),
            (400, None, false, "http"),
            (401, Some(&rpc_error), false, "http"),
            (403, None, true, "http"),
            (500, Some(&rpc_error), false, "rpc"),
            (502, None, false, "http"),
            (307, Some(&rpc_error), false, "http"),
        ];
        for (status, body, has_session, expected) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            let got = match classify_failure("u", status, body, has_session) {
                Err(UpstreamError::SessionExpired { .. }) => "expired",
                Err(UpstreamError::Http { status: s, .. }) if s == status.as_u16() => "http",
                Ok(Err(_)) => "rpc",
                other => panic!("unexpected {other:?}"),
            };
            assert_eq!(got, expected, "{status} {body:?} session={has_session}");
        }
    }
}
