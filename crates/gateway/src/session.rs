//! Downstream sessions of the session-based protocol era (≤ 2025-11-25).
//!
//! A session belongs to the agent whose credential created it: presenting
//! its id with another credential is answered as if it did not exist. Each
//! session owns its upstream connections; messages that upstreams send
//! outside a request (and server-to-client requests) are relayed to the
//! session's GET stream, with ids rewritten so that the client's answer can
//! be routed back to the upstream that asked.

use crate::upstreams::{UnavailableError, Upstreams};
use behavry_core::AgentId;
use behavry_upstream::{ServerMessage, UpstreamConnection};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, Mutex as AsyncMutex};
use tokio_util::sync::CancellationToken;

const STREAM_CAPACITY: usize = 256;

pub struct Session {
    pub id: String,
    pub agent_id: AgentId,
    /// `Some(upstream)` for sessions opened on `/mcp/{upstream}`.
    pub scope: Option<String>,
    pub protocol_version: String,
    pub client_capabilities: Value,
    pub client_info: Option<Value>,
    conns: HashMap<String, AsyncMutex<Option<Arc<UpstreamConnection>>>>,
    stream: broadcast::Sender<Value>,
    server_requests: Mutex<HashMap<String, (String, Value)>>,
    inflight: Mutex<HashMap<String, CancellationToken>>,
    last_seen: Mutex<Instant>,
    next_id: AtomicU64,
}

impl Session {
    pub fn new(
        agent_id: AgentId,
        scope: Option<String>,
        protocol_version: String,
        client_capabilities: Value,
        client_info: Option<Value>,
        upstreams: &Upstreams,
    ) -> Arc<Self> {
        let conns = upstreams
            .names()
            .filter(|n| scope.as_deref().is_none_or(|s| s == *n))
            .map(|n| (n.to_string(), AsyncMutex::new(None)))
            .collect();
        let (stream, _) = broadcast::channel(STREAM_CAPACITY);
        Arc::new(Session {
            id: random_id(),
            agent_id,
            scope,
            protocol_version,
            client_capabilities,
            client_info,
            conns,
            stream,
            server_requests: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
            last_seen: Mutex::new(Instant::now()),
            next_id: AtomicU64::new(1),
        })
    }

    pub fn touch(&self) {
        if let Ok(mut t) = self.last_seen.lock() {
            *t = Instant::now();
        }
    }

    fn idle_for(&self) -> Duration {
        self.last_seen
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }

    /// This session's connection to `name`, opened on first use.
    pub async fn connection(
        self: &Arc<Self>,
        name: &str,
        upstreams: &Upstreams,
    ) -> Result<Arc<UpstreamConnection>, UnavailableError> {
        let slot = self
            .conns
            .get(name)
            .ok_or_else(|| UnavailableError::Unknown(name.to_string()))?;
        let mut guard = slot.lock().await;
        if let Some(conn) = guard.as_ref() {
            if conn.is_alive() {
                return Ok(conn.clone());
            }
        }
        let conn = Arc::new(
            upstreams
                .connect(name, self.client_capabilities.clone(), false)
                .await?,
        );
        self.relay_unsolicited(name, &conn);
        *guard = Some(conn.clone());
        Ok(conn)
    }

    fn relay_unsolicited(self: &Arc<Self>, upstream: &str, conn: &UpstreamConnection) {
        let mut rx = conn.subscribe();
        let session = Arc::downgrade(self);
        let upstream = upstream.to_string();
        tokio::spawn(async move {
            loop {
                let message = match rx.recv().await {
                    Ok(m) => m,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(upstream = %upstream, dropped = n, "session stream lagged; messages dropped");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let Some(session) = session.upgrade() else {
                    return;
                };
                let out = session.to_client(&upstream, message);
                let _ = session.stream.send(out);
            }
        });
    }

    /// Prepare an upstream message for the client: server-to-client requests
    /// get a gateway id that routes the client's answer back.
    pub fn to_client(&self, upstream: &str, message: ServerMessage) -> Value {
        match message {
            ServerMessage::Notification(v) => v,
            ServerMessage::Request(mut v) => {
                let original = v.get("id").cloned().unwrap_or(Value::Null);
                let gateway_id = format!(
                    "bhv-{}-{}",
                    upstream,
                    self.next_id.fetch_add(1, Ordering::Relaxed)
                );
                if let Ok(mut map) = self.server_requests.lock() {
                    map.insert(gateway_id.clone(), (upstream.to_string(), original));
                }
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("id".into(), Value::String(gateway_id));
                }
                v
            }
        }
    }

    /// The upstream and original id of a server-to-client request the client answers.
    pub fn take_server_request(&self, gateway_id: &str) -> Option<(String, Value)> {
        self.server_requests.lock().ok()?.remove(gateway_id)
    }

    pub fn subscribe_stream(&self) -> broadcast::Receiver<Value> {
        self.stream.subscribe()
    }

    pub fn push_to_stream(&self, message: Value) {
        let _ = self.stream.send(message);
    }

    pub fn track(&self, request_key: String, token: CancellationToken) {
        if let Ok(mut map) = self.inflight.lock() {
            map.insert(request_key, token);
        }
    }

    pub fn untrack(&self, request_key: &str) {
        if let Ok(mut map) = self.inflight.lock() {
            map.remove(request_key);
        }
    }

    /// Cancel an in-flight request named by the client's `notifications/cancelled`.
    pub fn cancel(&self, request_key: &str) -> bool {
        let token = self
            .inflight
            .lock()
            .ok()
            .and_then(|mut map| map.remove(request_key));
        token.map(|t| t.cancel()).is_some()
    }

    /// Every connection this session has opened so far.
    pub async fn open_connections(&self) -> Vec<Arc<UpstreamConnection>> {
        let mut out = Vec::new();
        for slot in self.conns.values() {
            if let Some(conn) = slot.lock().await.as_ref() {
                out.push(conn.clone());
            }
        }
        out
    }

    pub async fn close(&self) {
        if let Ok(mut map) = self.inflight.lock() {
            for (_, token) in map.drain() {
                token.cancel();
            }
        }
        for conn in self.open_connections().await {
            conn.close().await;
        }
    }
}

/// Key under which an in-flight request is tracked: the JSON of its id.
pub fn request_key(id: &Value) -> String {
    id.to_string()
}

fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
}

impl Sessions {
    pub fn insert(&self, session: Arc<Session>) {
        if let Ok(mut map) = self.map.lock() {
            map.insert(session.id.clone(), session);
        }
    }

    /// The session with `id` if it belongs to `agent`.
    pub fn get(&self, id: &str, agent: &AgentId) -> Option<Arc<Session>> {
        let session = self.map.lock().ok()?.get(id).cloned()?;
        (session.agent_id == *agent).then_some(session)
    }

    pub fn remove(&self, id: &str, agent: &AgentId) -> Option<Arc<Session>> {
        let mut map = self.map.lock().ok()?;
        if map.get(id).is_some_and(|s| s.agent_id == *agent) {
            map.remove(id)
        } else {
            None
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Remove sessions idle for longer than `idle`, or whose agent is no
    /// longer active; returns them so the caller can close them.
    pub fn reap(&self, idle: Duration, is_active: impl Fn(&AgentId) -> bool) -> Vec<Arc<Session>> {
        let Ok(mut map) = self.map.lock() else {
            return Vec::new();
        };
        let dead: Vec<String> = map
            .iter()
            .filter(|(_, s)| s.idle_for() > idle || !is_active(&s.agent_id))
            .map(|(k, _)| k.clone())
            .collect();
        dead.iter().filter_map(|k| map.remove(k)).collect()
    }
}
