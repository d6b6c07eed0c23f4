//! The legacy server-initiated GET SSE stream: opened after the handshake,
//! fed into the broadcast, resumed with `Last-Event-ID` after a drop.
//!
//! Invariants: 405 (or any refusal) means "no stream", not an error; at most
//! [`MAX_FAILURES`] consecutive failed attempts; the task ends when the
//! connection is closed or dropped.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::reply::{content_type, MAX_MESSAGE_BYTES};
use super::HttpShared;
use crate::message::{classify, Incoming};
use crate::sse::SseParser;

const MAX_FAILURES: u32 = 2;
const LAST_EVENT_ID: &str = "last-event-id";
const DEFAULT_RETRY: Duration = Duration::from_secs(1);

pub(super) async fn run(shared: Arc<HttpShared>) {
    let upstream = shared.upstream.clone();
    let mut last_event_id: Option<String> = None;
    let mut retry = DEFAULT_RETRY;
    let mut failures = 0;
    while failures < MAX_FAILURES {
        let mut extra = HeaderMap::new();
        if let Some(id) = last_event_id
            .as_deref()
            .and_then(|id| HeaderValue::from_str(id).ok())
        {
            extra.insert(LAST_EVENT_ID, id);
        }
        let request = shared.builder(Method::GET, "text/event-stream", extra);
        let response = tokio::select! {
            () = shared.closed.cancelled() => return,
            sent = request.send() => sent,
        };
        match response {
            Err(e) => {
                tracing::debug!(%upstream, error = %e.without_url(), "get stream request failed");
                failures += 1;
            }
            Ok(response) if response.status() == StatusCode::NOT_FOUND => {
                tracing::warn!(%upstream, "session expired (get stream refused with 404)");
                shared.expired.store(true, Ordering::SeqCst);
                return;
            }
            Ok(response)
                if !response.status().is_success()
                    || !content_type(&response).starts_with("text/event-stream") =>
            {
                tracing::debug!(%upstream, status = %response.status(), "server offers no get stream");
                return;
            }
            Ok(response) => {
                let mut parser = SseParser::new(MAX_MESSAGE_BYTES);
                let mut body = response.bytes_stream();
                loop {
                    let chunk = tokio::select! {
                        () = shared.closed.cancelled() => return,
                        chunk = body.next() => chunk,
                    };
                    let Some(Ok(chunk)) = chunk else { break };
                    let Ok(events) = parser.feed(&chunk) else {
                        tracing::warn!(%upstream, "get stream event too large; reconnecting");
                        break;
                    };
                    for event in events {
                        retry = event.retry_ms.map_or(retry, Duration::from_millis);
                        if event.event == "message" && !event.data.is_empty() {
                            forward(&shared, &event.data);
                        }
                    }
                }
                last_event_id = parser.last_event_id().map(str::to_owned).or(last_event_id);
                failures = 0;
            }
        }
        tokio::select! {
            () = shared.closed.cancelled() => return,
            () = tokio::time::sleep(retry) => {}
        }
    }
    tracing::debug!(%upstream, "get stream gave up after repeated failures");
}

fn forward(shared: &HttpShared, data: &str) {
    match serde_json::from_str::<Value>(data).ok().and_then(classify) {
        Some(Incoming::Server(message)) => {
            let _ = shared.broadcast.send(message);
        }
        Some(Incoming::Response { id, .. }) => {
            tracing::debug!(upstream = %shared.upstream, %id, "ignoring response on get stream")
        }
        None => {
            tracing::warn!(upstream = %shared.upstream, "ignoring get stream event that is not json-rpc")
        }
    }
}
