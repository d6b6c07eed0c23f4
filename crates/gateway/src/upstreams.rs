//! The configured upstreams and the connections to them.
//!
//! Legacy (session-based) downstream clients get their own upstream
//! connections, opened lazily with the client's capabilities, so that
//! server-to-client requests (sampling, elicitation, roots) reach the client
//! that caused them. Stateless (2026-07-28) clients share one connection per
//! upstream, opened without client capabilities.
//!
//! A failed connection marks the upstream down for a short back-off so that
//! one dead upstream cannot stall lists or calls aimed at the others.

use behavry_upstream::{ClientInit, UpstreamConnection, UpstreamError, UpstreamSpec};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Mutex as AsyncMutex;

const DOWN_BACKOFF: Duration = Duration::from_secs(5);

/// Why an upstream could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UnavailableError {
    #[error("upstream `{0}` is not configured")]
    Unknown(String),
    #[error("upstream `{name}` is unavailable: {reason}")]
    Down { name: String, reason: String },
}

pub struct Upstreams {
    specs: Vec<UpstreamSpec>,
    /// Upstreams configured `legacy` are never probed with `server/discover`.
    legacy_only: Vec<String>,
    shared: HashMap<String, AsyncMutex<Option<Arc<UpstreamConnection>>>>,
    down_until: Mutex<HashMap<String, (Instant, String)>>,
    client_info: Value,
}

impl Upstreams {
    /// `legacy_only` names the upstreams configured with `protocol = "legacy"`.
    pub fn new(specs: Vec<UpstreamSpec>, legacy_only: Vec<String>) -> Self {
        let shared = specs
            .iter()
            .map(|s| (s.name.clone(), AsyncMutex::new(None)))
            .collect();
        Upstreams {
            specs,
            legacy_only,
            shared,
            down_until: Mutex::new(HashMap::new()),
            client_info: json!({"name": "behavry", "version": env!("CARGO_PKG_VERSION")}),
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.specs.iter().map(|s| s.name.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.specs.iter().any(|s| s.name == name)
    }

    fn spec(&self, name: &str) -> Result<&UpstreamSpec, UnavailableError> {
        self.specs
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| UnavailableError::Unknown(name.to_string()))
    }

    fn check_backoff(&self, name: &str) -> Result<(), UnavailableError> {
        if let Ok(down) = self.down_until.lock() {
            if let Some((until, reason)) = down.get(name) {
                if Instant::now() < *until {
                    return Err(UnavailableError::Down {
                        name: name.to_string(),
                        reason: reason.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn mark(&self, name: &str, result: &Result<UpstreamConnection, UpstreamError>) {
        if let Ok(mut down) = self.down_until.lock() {
            match result {
                Ok(_) => {
                    down.remove(name);
                }
                Err(e) => {
                    tracing::warn!(upstream = name, error = %e, "upstream connection failed");
                    down.insert(
                        name.to_string(),
                        (Instant::now() + DOWN_BACKOFF, e.to_string()),
                    );
                }
            }
        }
    }

    /// Open a new connection to `name` on behalf of a client with
    /// `capabilities`. Session-based clients get a session-based upstream
    /// connection (`prefer_modern = false`), so that an upstream asks them
    /// for input with server-to-client requests they understand rather than
    /// with `input_required` results they do not.
    pub async fn connect(
        &self,
        name: &str,
        capabilities: Value,
        prefer_modern: bool,
    ) -> Result<UpstreamConnection, UnavailableError> {
        let spec = self.spec(name)?;
        self.check_backoff(name)?;
        let mut init = ClientInit::new(capabilities, self.client_info.clone());
        init.prefer_modern = prefer_modern && !self.legacy_only.iter().any(|n| n == name);
        let result = UpstreamConnection::connect(spec, &init).await;
        self.mark(name, &result);
        result.map_err(|e| UnavailableError::Down {
            name: name.to_string(),
            reason: e.to_string(),
        })
    }

    /// The shared connection for stateless clients, reconnecting if it died.
    pub async fn shared(&self, name: &str) -> Result<Arc<UpstreamConnection>, UnavailableError> {
        let slot = self
            .shared
            .get(name)
            .ok_or_else(|| UnavailableError::Unknown(name.to_string()))?;
        let mut guard = slot.lock().await;
        if let Some(conn) = guard.as_ref() {
            if conn.is_alive() {
                return Ok(conn.clone());
            }
        }
        let conn = Arc::new(self.connect(name, json!({}), true).await?);
        *guard = Some(conn.clone());
        Ok(conn)
    }

    pub async fn close_all(&self) {
        for slot in self.shared.values() {
            if let Some(conn) = slot.lock().await.take() {
                conn.close().await;
            }
        }
    }
}
