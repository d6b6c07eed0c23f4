//! `GET /v1/trace/stream`: the Decision Trace as Server-Sent Events, for the
//! console's live view. The server polls the store every 250 ms and sends
//! each new event as `event: trace`, `id: <seq>`, `data: {seq, event}`.
//! A reconnecting `EventSource` resumes after `Last-Event-ID`.
//!
//! With a filter, decisions must match it, and approval / outcome events
//! are sent only for decisions that matched (remembered, bounded). A stream
//! opened with a console session ends when that session does.

use crate::error::ApiError;
use crate::sessions::{self, SessionId};
use crate::trace_filter::TraceFilter;
use crate::ControlState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_stream::wrappers::ReceiverStream;

const POLL: Duration = Duration::from_millis(250);
const RECHECK_SESSION: Duration = Duration::from_secs(15);
const BATCH: u32 = 200;
const REMEMBERED: usize = 2000;

#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// Start after this sequence number (default: only new events).
    pub after: Option<u64>,
    #[serde(flatten)]
    pub filter: TraceFilter,
}

pub async fn stream(
    State(state): State<Arc<ControlState>>,
    session: Option<Extension<SessionId>>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Response, ApiError> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let start = match resume.or(q.after) {
        Some(seq) => seq,
        None => state.gateway.store.latest_trace_seq().await?.unwrap_or(0),
    };
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let session = session.map(|Extension(id)| id);
    tokio::spawn(pump(state, session, q.filter, start, tx));
    Ok(Sse::new(ReceiverStream::new(rx))
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(15))
                .text("keep-alive"),
        )
        .into_response())
}

async fn pump(
    state: Arc<ControlState>,
    session: Option<SessionId>,
    filter: TraceFilter,
    mut after: u64,
    tx: tokio::sync::mpsc::Sender<Result<Event, Infallible>>,
) {
    let mut matched = Matched::default();
    let mut checked = Instant::now();
    let store = &state.gateway.store;
    loop {
        if tx.is_closed() {
            return;
        }
        if let Some(id) = &session {
            if checked.elapsed() >= RECHECK_SESSION {
                checked = Instant::now();
                if sessions::resolve(store, &state.console.sessions, id)
                    .await
                    .is_err()
                {
                    let _ = tx
                        .send(Ok(Event::default().event("end").data("session ended")))
                        .await;
                    return;
                }
            }
        }
        let events = match store.tail_trace(Some(after), BATCH).await {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(error = %e, "trace stream could not read the trace");
                tokio::time::sleep(POLL * 4).await;
                continue;
            }
        };
        let full = events.len() as u32 == BATCH;
        for (seq, event) in events {
            after = seq;
            if !filter.is_empty() && !matched.admit(&filter, &event) {
                continue;
            }
            let data = serde_json::json!({"seq": seq, "event": event}).to_string();
            let sse = Event::default()
                .event("trace")
                .id(seq.to_string())
                .data(data);
            if tx.send(Ok(sse)).await.is_err() {
                return;
            }
        }
        if !full {
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Decision ids that matched the filter, oldest forgotten first.
#[derive(Default)]
struct Matched {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Matched {
    fn admit(&mut self, filter: &TraceFilter, event: &behavry_core::TraceEvent) -> bool {
        if matches!(event.event, behavry_core::TraceEventKind::Decision { .. }) {
            if !filter.matches(event) {
                return false;
            }
            let id = event.decision_id.0.clone();
            if self.ids.insert(id.clone()) {
                self.order.push_back(id);
                if self.order.len() > REMEMBERED {
                    if let Some(old) = self.order.pop_front() {
                        self.ids.remove(&old);
                    }
                }
            }
            true
        } else {
            self.ids.contains(&event.decision_id.0)
        }
    }
}
