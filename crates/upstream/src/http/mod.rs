//! Streamable HTTP transport, both eras.
//!
//! Legacy (≤ 2025-11-25): `Mcp-Session-Id` from the initialize response and
//! `MCP-Protocol-Version` are sent on every later request; a GET stream feeds
//! the broadcast; cancellation is a `notifications/cancelled` POST; close
//! DELETEs the session.
//! Modern (2026-07-28): no session; every request carries the `_meta`
//! envelope plus `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers;
//! dropping a request's stream is its cancellation.
//!
//! Invariants: configured headers go on every HTTP request but never into
//! logs or errors; redirects are not followed (credentials never leave the
//! configured origin); protocol headers always win over configured ones.

mod get_stream;
mod reply;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::error::UpstreamError;
use crate::message;
use crate::router::Outcome;
use crate::spec::{ClientInit, Era, ServerMessage};

pub use reply::MAX_MESSAGE_BYTES;

const SESSION_ID: &str = "mcp-session-id";
const PROTOCOL_VERSION: &str = "mcp-protocol-version";
const MCP_METHOD: &str = "mcp-method";
const MCP_NAME: &str = "mcp-name";

#[derive(Debug, Default, Clone)]
struct Negotiated {
    era: Option<Era>,
    version: Option<String>,
    session_id: Option<String>,
}

pub(crate) struct HttpShared {
    upstream: String,
    url: reqwest::Url,
    client: reqwest::Client,
    configured: HeaderMap,
    init: ClientInit,
    negotiated: RwLock<Negotiated>,
    closed: CancellationToken,
    expired: AtomicBool,
    broadcast: broadcast::Sender<ServerMessage>,
}

/// Owning handle: dropping it stops the GET stream.
pub(crate) struct HttpTransport {
    shared: Arc<HttpShared>,
    _stop_on_drop: DropGuard,
}

impl std::ops::Deref for HttpTransport {
    type Target = HttpShared;
    fn deref(&self) -> &HttpShared {
        &self.shared
    }
}

impl HttpTransport {
    pub(crate) fn new(
        upstream: &str,
        url: &str,
        headers: &[(String, String)],
        connect_timeout: Duration,
        init: &ClientInit,
        broadcast: broadcast::Sender<ServerMessage>,
    ) -> Result<Self, UpstreamError> {
        let invalid = |detail: &str| UpstreamError::protocol(upstream, detail);
        let url = reqwest::Url::parse(url).map_err(|_| invalid("invalid url"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("url scheme must be http or https"));
        }
        let mut configured = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid("invalid configured header name"))?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                UpstreamError::protocol(
                    upstream,
                    format!("invalid value for configured header {name}"),
                )
            })?;
            value.set_sensitive(true);
            configured.append(name, value);
        }
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| reply::transport_error(upstream, e))?;
        let closed = CancellationToken::new();
        Ok(Self {
            _stop_on_drop: closed.clone().drop_guard(),
            shared: Arc::new(HttpShared {
                upstream: upstream.to_owned(),
                url,
                client,
                configured,
                init: init.clone(),
                negotiated: RwLock::new(Negotiated::default()),
                closed,
                expired: AtomicBool::new(false),
                broadcast,
            }),
        })
    }

    /// Records the handshake outcome; later requests follow `era`.
    pub(crate) fn set_negotiated(&self, era: Era, version: &str) {
        let mut negotiated = self.shared.write();
        negotiated.era = Some(era);
        negotiated.version = Some(version.to_owned());
    }

    /// Opens the legacy server-initiated stream (feeds the broadcast).
    pub(crate) fn start_server_stream(&self) {
        tokio::spawn(get_stream::run(self.shared.clone()));
    }

    /// Forgets request `id`; for legacy, tells the server it was cancelled.
    pub(crate) fn abandon(&self, id: u64, send_cancel: bool, reason: &str) {
        if !send_cancel || self.shared.read().era != Some(Era::Legacy) {
            return;
        }
        let shared = self.shared.clone();
        let cancel = message::cancelled(id, reason);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = shared.post_message(&cancel).await {
                    tracing::debug!(upstream = %shared.upstream, error = %e, "cancel notification failed");
                }
            });
        }
    }
}

impl HttpShared {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Negotiated> {
        self.negotiated.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Negotiated> {
        self.negotiated.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn session_id(&self) -> Option<String> {
        self.read().session_id.clone()
    }

    pub(crate) fn is_alive(&self) -> bool {
        !self.closed.is_cancelled() && !self.expired.load(Ordering::SeqCst)
    }

    fn ensure_alive(&self) -> Result<(), UpstreamError> {
        if self.expired.load(Ordering::SeqCst) {
            return Err(UpstreamError::SessionExpired {
                upstream: self.upstream.clone(),
            });
        }
        if self.closed.is_cancelled() {
            return Err(UpstreamError::closed(&self.upstream));
        }
        Ok(())
    }

    fn note_error<T>(&self, result: Result<T, UpstreamError>) -> Result<T, UpstreamError> {
        if let Err(UpstreamError::SessionExpired { .. }) = &result {
            self.expired.store(true, Ordering::SeqCst);
        }
        result
    }

    /// A request with configured headers, then session and version headers,
    /// then `extra`; later ones replace earlier ones of the same name.
    fn builder(&self, method: Method, accept: &'static str, extra: HeaderMap) -> RequestBuilder {
        let negotiated = self.read().clone();
        let mut headers = self.configured.clone();
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        if let Some(value) = negotiated
            .session_id
            .and_then(|s| HeaderValue::from_str(&s).ok())
        {
            headers.insert(SESSION_ID, value);
        }
        if let Some(value) = negotiated
            .version
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(PROTOCOL_VERSION, value);
        }
        for (name, value) in extra {
            if let Some(name) = name {
                headers.insert(name, value);
            }
        }
        self.client
            .request(method, self.url.clone())
            .headers(headers)
    }

    async fn post(&self, message: &Value, extra: HeaderMap) -> Result<Response, UpstreamError> {
        let body = serde_json::to_vec(message).map_err(|e| {
            UpstreamError::protocol(&self.upstream, format!("cannot encode message: {e}"))
        })?;
        let mut extra = extra;
        extra.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let request = self
            .builder(Method::POST, "application/json, text/event-stream", extra)
            .body(body);
        tokio::select! {
            () = self.closed.cancelled() => Err(UpstreamError::closed(&self.upstream)),
            sent = request.send() => sent.map_err(|e| reply::transport_error(&self.upstream, e)),
        }
    }

    async fn exchange(
        &self,
        id: u64,
        message: &Value,
        extra: HeaderMap,
        interim: Option<&mpsc::Sender<ServerMessage>>,
    ) -> Result<(Outcome, Option<String>), UpstreamError> {
        self.ensure_alive()?;
        let response = self.post(message, extra).await?;
        let session_id = response
            .headers()
            .get(SESSION_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let has_session = self.read().session_id.is_some();
        let outcome = reply::read_reply(
            &self.upstream,
            response,
            id,
            interim,
            &self.broadcast,
            has_session,
        )
        .await;
        Ok((self.note_error(outcome)?, session_id))
    }

    /// Sends `initialize` and remembers the session id it establishes.
    pub(crate) async fn initialize(
        &self,
        id: u64,
        params: Value,
    ) -> Result<Outcome, UpstreamError> {
        let message = message::request(id, "initialize", Some(params));
        let (outcome, session_id) = self.exchange(id, &message, HeaderMap::new(), None).await?;
        self.write().session_id = session_id;
        Ok(outcome)
    }

    /// Sends a `server/discover` probe at `version`.
    pub(crate) async fn discover(&self, id: u64, version: &str) -> Result<Outcome, UpstreamError> {
        let params = message::stamp_modern_meta(None, version, &self.init);
        let message = message::request(id, "server/discover", params);
        let headers = self.modern_headers(version, "server/discover", None)?;
        Ok(self.exchange(id, &message, headers, None).await?.0)
    }

    /// Sends a request under the negotiated era.
    pub(crate) async fn request(
        &self,
        id: u64,
        method: &str,
        params: Option<Value>,
        interim: Option<&mpsc::Sender<ServerMessage>>,
    ) -> Result<Outcome, UpstreamError> {
        let negotiated = self.read().clone();
        let (params, headers) = match (negotiated.era, negotiated.version) {
            (Some(Era::Modern), Some(version)) => {
                let params =
                    message::stamp_modern_meta(params, &version, &self.init).ok_or_else(|| {
                        UpstreamError::protocol(&self.upstream, "request params must be an object")
                    })?;
                let headers = self.modern_headers(&version, method, Some(&params))?;
                (Some(params), headers)
            }
            _ => (params, HeaderMap::new()),
        };
        let message = message::request(id, method, params);
        Ok(self.exchange(id, &message, headers, interim).await?.0)
    }

    fn modern_headers(
        &self,
        version: &str,
        method: &str,
        params: Option<&Value>,
    ) -> Result<HeaderMap, UpstreamError> {
        let value = |v: &str| {
            HeaderValue::from_str(v).map_err(|_| {
                UpstreamError::protocol(&self.upstream, "value not representable as a header")
            })
        };
        let mut headers = HeaderMap::new();
        headers.insert(PROTOCOL_VERSION, value(version)?);
        headers.insert(MCP_METHOD, value(&message::encode_header_value(method))?);
        if let Some(name) = message::mcp_name_header(method, params) {
            headers.insert(MCP_NAME, value(&name)?);
        }
        Ok(headers)
    }

    /// POSTs a notification or response; the server must accept it.
    pub(crate) async fn post_message(&self, message: &Value) -> Result<(), UpstreamError> {
        self.ensure_alive()?;
        let response = self.post(message, HeaderMap::new()).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let has_session = self.read().session_id.is_some();
        let body = reply::read_capped(&self.upstream, response)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        let failure = reply::classify_failure(&self.upstream, status, body.as_ref(), has_session);
        self.note_error(failure.and(Err(UpstreamError::Http {
            upstream: self.upstream.clone(),
            status: status.as_u16(),
        })))
    }

    /// Stops the GET stream and, for a legacy session, DELETEs it.
    pub(crate) async fn close(&self) {
        self.closed.cancel();
        if self.session_id().is_none() {
            return;
        }
        match self
            .builder(Method::DELETE, "application/json", HeaderMap::new())
            .send()
            .await
        {
            Ok(response) if response.status() == StatusCode::METHOD_NOT_ALLOWED => {
                tracing::debug!(upstream = %self.upstream, "server does not allow ending sessions")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(upstream = %self.upstream, error = %e.without_url(), "ending session failed")
            }
        }
    }
}
