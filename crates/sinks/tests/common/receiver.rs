//! An HTTP receiver speaking the sink protocols (Splunk HEC with indexer
//! acknowledgement, OTLP/HTTP JSON logs and traces, Elasticsearch `_bulk`,
//! Datadog logs intake, plain NDJSON), recording which trace sequence
//! numbers it durably accepted. Faults are queued and consumed one per
//! request: error statuses, 429 with `Retry-After`, a hang past the client's
//! timeout, a connection reset, bulk items failing, a lost HEC ack. It can be
//! stopped and started again on the same port.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    Status(u16),
    TooMany {
        retry_after_secs: u64,
    },
    Hang(Duration),
    Reset,
    /// `_bulk`: every item whose sequence number is odd fails with 429.
    BulkOddItemsFail,
    /// HEC: the next pending ackId is lost (never indexed).
    LoseAck,
}

#[derive(Default)]
pub struct ReceiverState {
    faults: Mutex<VecDeque<Fault>>,
    accepted: Mutex<BTreeMap<u64, u32>>,
    pub requests: AtomicU64,
    pub faults_served: AtomicU64,
    pub last_auth: Mutex<Option<String>>,
    pub last_body: Mutex<Option<Value>>,
    pending_acks: Mutex<HashMap<u64, (Vec<u64>, u32)>>,
    next_ack: AtomicU64,
    es_ids: Mutex<HashSet<String>>,
}

impl ReceiverState {
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.faults.lock().unwrap().extend(faults);
    }

    pub fn pending_faults(&self) -> usize {
        self.faults.lock().unwrap().len()
    }

    /// Sequence number → times accepted.
    pub fn accepted(&self) -> BTreeMap<u64, u32> {
        self.accepted.lock().unwrap().clone()
    }

    pub fn has_all(&self, n: u64) -> bool {
        let a = self.accepted.lock().unwrap();
        (1..=n).all(|s| a.contains_key(&s))
    }

    fn take_http_fault(&self) -> Option<Fault> {
        let mut q = self.faults.lock().unwrap();
        match q.front() {
            Some(Fault::Reset) | None => None,
            Some(_) => q.pop_front(),
        }
    }

    fn take_reset(&self) -> bool {
        let mut q = self.faults.lock().unwrap();
        if q.front() == Some(&Fault::Reset) {
            q.pop_front();
            true
        } else {
            false
        }
    }

    fn accept(&self, seqs: impl IntoIterator<Item = u64>) {
        let mut a = self.accepted.lock().unwrap();
        for s in seqs {
            *a.entry(s).or_default() += 1;
        }
    }
}

pub struct Receiver {
    pub state: Arc<ReceiverState>,
    pub addr: SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(ReceiverState::default());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut r = Receiver {
            state,
            addr,
            task: None,
        };
        r.serve(listener);
        r
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn serve(&mut self, listener: TcpListener) {
        let app = Router::new()
            .route("/services/collector/event", post(hec_event))
            .route("/services/collector/ack", post(hec_ack))
            .route("/v1/logs", post(otlp))
            .route("/v1/traces", post(otlp))
            .route("/_bulk", post(bulk))
            .route("/api/v2/logs", post(datadog))
            .route("/ingest", post(plain))
            .with_state(self.state.clone());
        let listener = Resetting {
            inner: listener,
            state: self.state.clone(),
        };
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// Stop accepting connections (the port is closed).
    pub async fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }

    /// Listen again on the same port.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot rebind {}: {e}", self.addr),
            }
        };
        self.serve(listener);
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// Accepts connections, resetting one when a `Reset` fault is next.
struct Resetting {
    inner: TcpListener,
    state: Arc<ReceiverState>,
}

impl axum::serve::Listener for Resetting {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Ok((stream, addr)) = self.inner.accept().await else {
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            };
            if self.state.take_reset() {
                self.state.faults_served.fetch_add(1, Ordering::Relaxed);
                // A zero linger makes the close a reset; it never blocks.
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(Duration::ZERO));
                drop(stream);
                continue;
            }
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A common fault, applied before the protocol handler; `None` to proceed.
async fn http_fault(state: &ReceiverState, headers: &HeaderMap) -> Option<Response> {
    state.requests.fetch_add(1, Ordering::Relaxed);
    if let Some(auth) = headers
        .get("authorization")
        .or_else(|| headers.get("dd-api-key"))
    {
        *state.last_auth.lock().unwrap() = auth.to_str().ok().map(str::to_string);
    }
    let fault = state.take_http_fault()?;
    if !matches!(fault, Fault::BulkOddItemsFail | Fault::LoseAck) {
        // Counted first: a hang's handler is dropped when the client gives up.
        state.faults_served.fetch_add(1, Ordering::Relaxed);
    }
    let response = match fault {
        Fault::Status(code) => {
            (StatusCode::from_u16(code).unwrap(), "injected failure").into_response()
        }
        Fault::TooMany { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after_secs.to_string())],
            "slow down",
        )
            .into_response(),
        Fault::Hang(d) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, "too late").into_response()
        }
        other => {
            // Protocol-level faults are handled by the protocol handler.
            state.faults.lock().unwrap().push_front(other);
            return None;
        }
    };
    Some(close(response))
}

fn close(mut r: Response) -> Response {
    r.headers_mut()
        .insert("connection", axum::http::HeaderValue::from_static("close"));
    r
}

fn take_protocol_fault(state: &ReceiverState, want: &Fault) -> bool {
    let mut q = state.faults.lock().unwrap();
    if q.front() == Some(want) {
        q.pop_front();
        state.faults_served.fetch_add(1, Ordering::Relaxed);
        true
    } else {
        false
    }
}

fn seq_of(doc: &Value) -> Option<u64> {
    doc.get("seq")
        .or_else(|| doc.pointer("/event/seq"))
        .or_else(|| doc.pointer("/behavry/seq"))
        .or_else(|| doc.pointer("/unmapped/seq"))
        .or_else(|| doc.pointer("/ocsf/unmapped/seq"))
        .or_else(|| doc.pointer("/event/unmapped/seq"))
        .and_then(Value::as_u64)
}

async fn hec_event(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = http_fault(&state, &headers).await {
        return r;
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Splunk test-token") {
        return close(
            (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"text":"Invalid token","code":4})),
            )
                .into_response(),
        );
    }
    if headers.get("x-splunk-request-channel").is_none() {
        return close(
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"text":"Data channel is missing","code":10})),
            )
                .into_response(),
        );
    }
    let mut seqs = Vec::new();
    for value in serde_json::Deserializer::from_slice(&body).into_iter::<Value>() {
        let Ok(v) = value else {
            return close(
                (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"text":"Invalid data format","code":6})),
                )
                    .into_response(),
            );
        };
        seqs.extend(seq_of(&v));
    }
    let id = state.next_ack.fetch_add(1, Ordering::Relaxed);
    state.pending_acks.lock().unwrap().insert(id, (seqs, 0));
    close(axum::Json(json!({"text": "Success", "code": 0, "ackId": id})).into_response())
}

async fn hec_ack(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = http_fault(&state, &headers).await {
        return r;
    }
    let asked: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut answer = serde_json::Map::new();
    for id in asked
        .get("acks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = id.as_u64() else { continue };
        let mut pending = state.pending_acks.lock().unwrap();
        let done = match pending.get_mut(&id) {
            // Indexing takes one poll.
            Some((_, polls)) if *polls == 0 => {
                *polls += 1;
                if take_protocol_fault(&state, &Fault::LoseAck) {
                    pending.remove(&id);
                }
                false
            }
            Some(_) => {
                let (seqs, _) = pending.remove(&id).unwrap_or_default();
                state.accept(seqs);
                true
            }
            None => false,
        };
        answer.insert(id.to_string(), Value::Bool(done));
    }
    close(axum::Json(json!({ "acks": answer })).into_response())
}

async fn otlp(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = http_fault(&state, &headers).await {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return close((StatusCode::BAD_REQUEST, "bad json").into_response());
    };
    let mut seqs = Vec::new();
    let items = v
        .pointer("/resourceLogs/0/scopeLogs/0/logRecords")
        .or_else(|| v.pointer("/resourceSpans/0/scopeSpans/0/spans"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for item in items {
        for attr in item
            .get("attributes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if attr.get("key").and_then(Value::as_str) == Some("behavry.seq") {
                seqs.extend(
                    attr.pointer("/value/intValue")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse::<u64>().ok()),
                );
            }
        }
    }
    state.accept(seqs);
    *state.last_body.lock().unwrap() = Some(v);
    close(axum::Json(json!({})).into_response())
}

async fn bulk(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = http_fault(&state, &headers).await {
        return r;
    }
    let fail_odd = take_protocol_fault(&state, &Fault::BulkOddItemsFail);
    let text = String::from_utf8_lossy(&body);
    let lines: Vec<&str> = text.lines().collect();
    let mut items = Vec::new();
    let mut errors = false;
    for pair in lines.chunks(2) {
        let (Some(action), Some(doc)) = (pair.first(), pair.get(1)) else {
            return close((StatusCode::BAD_REQUEST, "odd number of bulk lines").into_response());
        };
        let action: Value = serde_json::from_str(action).unwrap_or(Value::Null);
        let doc: Value = serde_json::from_str(doc).unwrap_or(Value::Null);
        let id = action
            .pointer("/create/_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let seq = seq_of(&doc);
        let item = if fail_odd && seq.is_some_and(|s| s % 2 == 1) {
            errors = true;
            json!({"create": {"_id": id, "status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}}})
        } else if !state.es_ids.lock().unwrap().insert(id.clone()) {
            errors = true;
            json!({"create": {"_id": id, "status": 409, "error": {"type": "version_conflict_engine_exception"}}})
        } else {
            state.accept(seq);
            json!({"create": {"_id": id, "status": 201, "result": "created"}})
        };
        items.push(item);
    }
    close(axum::Json(json!({"took": 1, "errors": errors, "items": items})).into_response())
}

async fn datadog(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = http_fault(&state, &headers).await {
        return r;
    }
    let Ok(Value::Array(logs)) = serde_json::from_slice::<Value>(&body) else {
        return close((StatusCode::BAD_REQUEST, "expected an array").into_response());
    };
    state.accept(logs.iter().filter_map(seq_of));
    close((StatusCode::ACCEPTED, axum::Json(json!({}))).into_response())
}

async fn plain(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = http_fault(&state, &headers).await {
        return r;
    }
    let text = String::from_utf8_lossy(&body);
    let seqs: Vec<u64> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| seq_of(&v))
        .collect();
    state.accept(seqs);
    close(StatusCode::OK.into_response())
}
