//! Per-request context: who is calling, over which era and session.

use crate::session::Session;
use crate::state::Gateway;
use crate::upstreams::UnavailableError;
use behavry_core::{AgentIdentity, RequestMeta};
use behavry_upstream::UpstreamConnection;
use serde_json::Value;
use std::sync::Arc;

#[derive(Clone)]
pub struct CallCtx {
    pub gw: Arc<Gateway>,
    pub agent: Arc<AgentIdentity>,
    /// Present for session-based (legacy) clients.
    pub session: Option<Arc<Session>>,
    /// True for stateless 2026-07-28 clients.
    pub modern: bool,
    pub protocol_version: String,
    /// `Some(upstream)` when the client uses `/mcp/{upstream}`.
    pub scope: Option<String>,
    pub client_info: Option<Value>,
    /// The request's workflow headers.
    pub(crate) workflow_headers: crate::workflows::WorkflowHeaders,
}

impl CallCtx {
    /// A context for work the gateway does on an agent's behalf outside a
    /// request (e.g. computing a workflow ceiling): stateless, all upstreams.
    pub(crate) fn internal(gw: Arc<Gateway>, agent: Arc<AgentIdentity>) -> Self {
        CallCtx {
            gw,
            agent,
            session: None,
            modern: true,
            protocol_version: behavry_protocol::MODERN_VERSIONS
                .first()
                .map_or_else(String::new, |v| v.to_string()),
            scope: None,
            client_info: None,
            workflow_headers: Default::default(),
        }
    }

    pub async fn connection(
        &self,
        upstream: &str,
    ) -> Result<Arc<UpstreamConnection>, UnavailableError> {
        match &self.session {
            Some(session) => session.connection(upstream, &self.gw.upstreams).await,
            None => self.gw.upstreams.shared(upstream).await,
        }
    }

    /// The upstreams this client can reach: one for a scoped endpoint, all otherwise.
    pub fn reachable_upstreams(&self) -> Vec<String> {
        match &self.scope {
            Some(s) => vec![s.clone()],
            None => self.gw.upstreams.names().map(str::to_string).collect(),
        }
    }

    pub fn request_meta(&self, meta: Option<Value>, listing: bool) -> RequestMeta {
        RequestMeta {
            protocol_version: self.protocol_version.clone(),
            era: if self.modern { "modern" } else { "legacy" }.to_string(),
            session_id: self.session.as_ref().map(|s| s.id.clone()),
            client: self.client_info.clone(),
            meta,
            listing,
        }
    }

    /// Results to modern clients always carry `resultType`.
    pub fn finish_result(&self, mut result: Value) -> Value {
        if self.modern {
            if let Some(obj) = result.as_object_mut() {
                obj.entry("resultType")
                    .or_insert_with(|| Value::String("complete".into()));
            }
        }
        result
    }

    /// Map an exposed name to `(upstream, upstream's own name)`.
    pub fn resolve_name<'a>(&self, exposed: &'a str) -> Option<(String, &'a str)> {
        match &self.scope {
            Some(s) => Some((s.clone(), exposed)),
            None => behavry_protocol::split_qualified(exposed).map(|(u, n)| (u.to_string(), n)),
        }
    }

    /// Map an exposed resource URI to `(upstream, upstream's own URI)`.
    pub fn resolve_uri<'a>(&self, exposed: &'a str) -> Option<(String, &'a str)> {
        match &self.scope {
            Some(s) => Some((s.clone(), exposed)),
            None => behavry_protocol::split_qualified_uri(exposed).map(|(u, n)| (u.to_string(), n)),
        }
    }

    pub fn expose_name(&self, upstream: &str, name: &str) -> String {
        match &self.scope {
            Some(_) => name.to_string(),
            None => behavry_protocol::qualify_name(upstream, name),
        }
    }

    pub fn expose_uri(&self, upstream: &str, uri: &str) -> String {
        match &self.scope {
            Some(_) => uri.to_string(),
            None => behavry_protocol::qualify_uri(upstream, uri),
        }
    }
}

/// Remove the modern-era envelope keys from `_meta` before forwarding: the
/// upstream connection speaks its own era and adds its own envelope.
pub fn strip_envelope(params: &mut Value) {
    if let Some(meta) = params.get_mut("_meta").and_then(Value::as_object_mut) {
        meta.retain(|k, _| !k.starts_with("io.modelcontextprotocol/"));
        if meta.is_empty() {
            if let Some(obj) = params.as_object_mut() {
                obj.remove("_meta");
            }
        }
    }
}
