//! [`UpstreamConnection`]: one live connection to an upstream MCP server.
//!
//! Invariants: the connection assigns its own upstream request ids (never
//! reusing one); a request that is cancelled, times out or is dropped is
//! abandoned — legacy upstreams get `notifications/cancelled`, modern HTTP
//! upstreams see their request stream closed; errors never contain configured
//! header or environment values.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::error::UpstreamError;
use crate::handshake::handshake;
use crate::http::HttpTransport;
use crate::message;
use crate::spec::{ClientInit, Era, ServerMessage, UpstreamSpec, UpstreamTransport};
use crate::stdio::{StdioCommand, StdioTransport};
use crate::transport::Transport;

/// Capacity of the broadcast of unrelated server messages. A receiver that
/// falls further behind loses the oldest messages (`RecvError::Lagged`).
pub const BROADCAST_CAPACITY: usize = 256;

/// A connected, handshaken upstream. Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct UpstreamConnection {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    era: Era,
    protocol_version: String,
    server_info: Value,
    request_timeout: Duration,
    next_id: AtomicU64,
    broadcast: broadcast::Sender<ServerMessage>,
    transport: Transport,
}

impl std::fmt::Debug for UpstreamConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamConnection")
            .field("name", &self.inner.name)
            .field("era", &self.inner.era)
            .field("protocol_version", &self.inner.protocol_version)
            .finish_non_exhaustive()
    }
}

impl UpstreamConnection {
    /// Starts or reaches the upstream and performs the handshake, all within
    /// `spec.connect_timeout`.
    pub async fn connect(spec: &UpstreamSpec, init: &ClientInit) -> Result<Self, UpstreamError> {
        let (broadcast, _) = broadcast::channel(BROADCAST_CAPACITY);
        let transport = match &spec.transport {
            UpstreamTransport::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                let command = StdioCommand {
                    command,
                    args,
                    env,
                    cwd: cwd.as_deref(),
                };
                Transport::Stdio(StdioTransport::spawn(
                    &spec.name,
                    command,
                    broadcast.clone(),
                )?)
            }
            UpstreamTransport::Http { url, headers } => Transport::Http(HttpTransport::new(
                &spec.name,
                url,
                headers,
                spec.connect_timeout,
                init,
                broadcast.clone(),
            )?),
        };
        let next_id = AtomicU64::new(1);
        let negotiated = tokio::time::timeout(
            spec.connect_timeout,
            handshake(&spec.name, &transport, init, &next_id),
        )
        .await
        .unwrap_or_else(|_| {
            Err(UpstreamError::Timeout {
                upstream: spec.name.clone(),
                operation: "handshake".to_owned(),
                after: spec.connect_timeout,
            })
        });
        let negotiated = match negotiated {
            Ok(negotiated) => negotiated,
            Err(error) => {
                // A stdio child is killed outright (dropping it); an HTTP
                // session that was established is ended politely.
                if let Transport::Http(http) = &transport {
                    http.close().await;
                }
                return Err(error);
            }
        };
        tracing::debug!(upstream = %spec.name, era = ?negotiated.era, version = %negotiated.protocol_version, "upstream connected");
        Ok(Self {
            inner: Arc::new(Inner {
                name: spec.name.clone(),
                era: negotiated.era,
                protocol_version: negotiated.protocol_version,
                server_info: negotiated.server_info,
                request_timeout: spec.request_timeout,
                next_id,
                broadcast,
                transport,
            }),
        })
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn era(&self) -> Era {
        self.inner.era
    }

    pub fn protocol_version(&self) -> &str {
        &self.inner.protocol_version
    }

    /// The `initialize` result (legacy) or `server/discover` result (modern).
    pub fn server_info(&self) -> &Value {
        &self.inner.server_info
    }

    /// The legacy HTTP session id, if the server assigned one.
    pub fn session_id(&self) -> Option<String> {
        match &self.inner.transport {
            Transport::Http(http) => http.session_id(),
            Transport::Stdio(_) => None,
        }
    }

    /// The stdio server's process id.
    pub fn process_id(&self) -> Option<u32> {
        match &self.inner.transport {
            Transport::Stdio(stdio) => stdio.pid(),
            Transport::Http(_) => None,
        }
    }

    /// Sends a request under a fresh upstream id and waits for its response:
    /// `Ok(Ok(result))`, `Ok(Err(json-rpc error object))`, or a transport
    /// error. Interim messages for this request (progress for its
    /// `_meta.progressToken`, server requests on its stream) go to `interim`;
    /// without one they go to the broadcast. Cancelling `cancel`, hitting the
    /// request timeout or dropping the future abandons the request upstream.
    pub async fn request(
        &self,
        method: &str,
        params: Option<Value>,
        interim: Option<mpsc::Sender<ServerMessage>>,
        cancel: CancellationToken,
    ) -> Result<Result<Value, Value>, UpstreamError> {
        let inner = &*self.inner;
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let started = AtomicBool::new(false);
        let mut abandon = AbandonOnDrop {
            transport: &inner.transport,
            id,
            started: &started,
            send_cancel: true,
            reason: "request abandoned by the gateway",
        };
        let exchange = async {
            started.store(true, Ordering::Relaxed);
            match &inner.transport {
                Transport::Stdio(stdio) => {
                    let progress_token = message::request_progress_token(params.as_ref());
                    let request = message::request(id, method, params);
                    stdio.request(id, &request, progress_token, interim).await
                }
                Transport::Http(http) => http.request(id, method, params, interim.as_ref()).await,
            }
        };
        let outcome = tokio::select! {
            biased;
            () = cancel.cancelled() => Err(UpstreamError::Cancelled { upstream: inner.name.clone() }),
            done = tokio::time::timeout(inner.request_timeout, exchange) => done.unwrap_or_else(|_| {
                Err(UpstreamError::Timeout {
                    upstream: inner.name.clone(),
                    operation: method.to_owned(),
                    after: inner.request_timeout,
                })
            }),
        };
        match &outcome {
            Err(UpstreamError::Cancelled { .. }) => abandon.reason = "cancelled by the client",
            Err(UpstreamError::Timeout { .. }) => abandon.reason = "request timed out",
            _ => abandon.send_cancel = false,
        }
        outcome
    }

    /// Sends a notification. Modern HTTP upstreams accept none (a protocol error).
    pub async fn notify(&self, method: &str, params: Option<Value>) -> Result<(), UpstreamError> {
        self.ensure_accepts_client_messages("notifications")?;
        self.inner
            .transport
            .notify(&message::notification(method, params))
            .await
    }

    /// Answers a server->client request, using its original upstream `id`.
    pub async fn respond(
        &self,
        id: Value,
        outcome: Result<Value, Value>,
    ) -> Result<(), UpstreamError> {
        self.ensure_accepts_client_messages("responses to server requests")?;
        self.inner
            .transport
            .notify(&message::response(id, outcome))
            .await
    }

    fn ensure_accepts_client_messages(&self, what: &str) -> Result<(), UpstreamError> {
        if self.inner.transport.accepts_client_messages(self.inner.era) {
            return Ok(());
        }
        Err(UpstreamError::protocol(
            &self.inner.name,
            format!("{what} cannot be sent to a 2026-07-28 http upstream"),
        ))
    }

    /// Server messages not tied to a request (stdio server-initiated
    /// messages, the legacy HTTP GET stream, interim messages of requests
    /// sent without an interim channel). Lossy: a receiver more than
    /// [`BROADCAST_CAPACITY`] messages behind misses the oldest ones, and
    /// messages sent while nobody is subscribed are dropped.
    pub fn subscribe(&self) -> broadcast::Receiver<ServerMessage> {
        self.inner.broadcast.subscribe()
    }

    pub fn is_alive(&self) -> bool {
        self.inner.transport.is_alive()
    }

    /// Stdio: closes stdin, waits briefly, kills the process. HTTP: stops the
    /// GET stream and DELETEs a legacy session.
    pub async fn close(&self) {
        self.inner.transport.close().await;
    }
}

/// Abandons the request upstream unless disarmed, including when the
/// request future is dropped half-way. A request that was never started is
/// not announced as cancelled.
struct AbandonOnDrop<'a> {
    transport: &'a Transport,
    id: u64,
    started: &'a AtomicBool,
    send_cancel: bool,
    reason: &'static str,
}

impl Drop for AbandonOnDrop<'_> {
    fn drop(&mut self) {
        let send_cancel = self.send_cancel && self.started.load(Ordering::Relaxed);
        self.transport.abandon(self.id, send_cancel, self.reason);
    }
}
