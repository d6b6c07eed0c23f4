//! Method dispatch shared by both transports: the era decision for a request,
//! the MCP methods, and era-specific shaping of results.
//!
//! Invariants: modern (2026-07-28) results always carry
//! `resultType: "complete"`, and the cacheable ones also `ttlMs` and
//! `cacheScope`; methods of a capability the profile lacks are
//! method-not-found; notifications never produce a reply.

use serde_json::{json, Map, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::era::{self, Era, RoutingHeaders};
use crate::profiles::{files, Profile, ProfileKind};
use crate::rpc::{self, RpcError};

const CACHEABLE_METHODS: [&str; 6] = [
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

pub struct Dispatcher {
    profile: Profile,
}

/// Decides the era of one request. Over HTTP, `headers` are the request's
/// routing headers and a non-legacy `MCP-Protocol-Version` header also marks
/// the request as modern.
pub fn resolve_era(
    method: &str,
    params: &Value,
    headers: Option<&RoutingHeaders>,
) -> Result<Era, RpcError> {
    if method == "initialize" {
        return Ok(Era::Legacy);
    }
    let modern_header = headers
        .and_then(|headers| headers.protocol_version.as_deref())
        .is_some_and(|version| !era::LEGACY_VERSIONS.contains(&version));
    if era::is_modern_request(params) || modern_header {
        era::validate_modern(method, params, headers)?;
        return Ok(Era::Modern);
    }
    Ok(Era::Legacy)
}

impl Dispatcher {
    pub fn new(profile: Profile) -> Self {
        Self { profile }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    fn server_info(&self) -> Value {
        json!({
            "name": format!("behavry-demo-{}", self.profile.kind().name()),
            "version": env!("CARGO_PKG_VERSION"),
        })
    }

    /// Answers one request in the given era; progress notifications (if the
    /// request asked for them) go to `progress` before the answer is returned.
    pub async fn handle_request(
        &self,
        id: &Value,
        method: &str,
        params: &Value,
        era: Era,
        progress: Option<&UnboundedSender<Value>>,
    ) -> Value {
        match self.answer(method, params, era, progress).await {
            Ok(result) => rpc::success_response(id, shape_result(method, result, era)),
            Err(error) => rpc::error_response(id, &error),
        }
    }

    async fn answer(
        &self,
        method: &str,
        params: &Value,
        era: Era,
        progress: Option<&UnboundedSender<Value>>,
    ) -> Result<Value, RpcError> {
        let args = rpc::params_object(params)?;
        let has_extras = self.profile.has_resources_and_prompts();
        match method {
            "initialize" => Ok(self.initialize(&args)),
            "ping" => Ok(json!({})),
            "server/discover" if era == Era::Modern => Ok(self.discover()),
            "server/discover" => Err(RpcError::invalid_params(
                "server/discover requires the protocol envelope in params._meta",
            )),
            "tools/list" => Ok(json!({ "tools": self.profile.tools() })),
            "tools/call" => self.call_tool(params, &args, progress).await,
            "resources/list" if has_extras => Ok(self.files()?.list_resources()),
            "resources/templates/list" if has_extras => Ok(json!({ "resourceTemplates": [] })),
            "resources/read" if has_extras => {
                let uri = crate::profiles::required_str(&args, "uri")?;
                self.files()?.read_resource(uri).await
            }
            "prompts/list" if has_extras => Ok(files::prompt_definitions()),
            "prompts/get" if has_extras => {
                let name = crate::profiles::required_str(&args, "name")?;
                let arguments = object_argument(&args, "arguments")?;
                self.files()?.get_prompt(name, &arguments).await
            }
            other => Err(RpcError::method_not_found(other)),
        }
    }

    fn initialize(&self, args: &Map<String, Value>) -> Value {
        let requested = args.get("protocolVersion").and_then(Value::as_str);
        json!({
            "protocolVersion": era::negotiate_legacy_version(requested),
            "capabilities": self.profile.capabilities(),
            "serverInfo": self.server_info(),
            "instructions": self.profile.instructions(),
        })
    }

    fn discover(&self) -> Value {
        json!({
            "supportedVersions": era::MODERN_VERSIONS,
            "capabilities": self.profile.capabilities(),
            "instructions": self.profile.instructions(),
            "_meta": { era::SERVER_INFO_META_KEY: self.server_info() },
        })
    }

    fn files(&self) -> Result<&files::Files, RpcError> {
        self.profile
            .files()
            .ok_or_else(|| RpcError::internal("this profile has no files"))
    }

    async fn call_tool(
        &self,
        params: &Value,
        args: &Map<String, Value>,
        progress: Option<&UnboundedSender<Value>>,
    ) -> Result<Value, RpcError> {
        let name = crate::profiles::required_str(args, "name")?;
        let arguments = object_argument(args, "arguments")?;
        if let (Some(token), Some(sink), ProfileKind::Database, "query") = (
            rpc::progress_token(params),
            progress,
            self.profile.kind(),
            name,
        ) {
            let note = json!({ "progressToken": token, "progress": 0.5, "total": 1.0, "message": "running query" });
            // A closed sink means the caller went away; the call still completes.
            let _ = sink.send(rpc::notification("notifications/progress", note));
        }
        let output = self.profile.call_tool(name, &arguments).await?;
        Ok(output.into_result())
    }
}

/// Whether a request would emit progress notifications before its answer
/// (lets the HTTP transport choose an SSE response up front).
pub fn emits_progress(kind: ProfileKind, method: &str, params: &Value) -> bool {
    kind == ProfileKind::Database
        && method == "tools/call"
        && params.get("name").and_then(Value::as_str) == Some("query")
        && rpc::progress_token(params).is_some()
}

fn object_argument(args: &Map<String, Value>, key: &str) -> Result<Map<String, Value>, RpcError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(RpcError::invalid_params(format!(
            "'{key}' must be an object"
        ))),
    }
}

fn shape_result(method: &str, mut result: Value, era: Era) -> Value {
    if era != Era::Modern {
        return result;
    }
    if let Some(object) = result.as_object_mut() {
        object.insert("resultType".to_owned(), json!("complete"));
        if CACHEABLE_METHODS.contains(&method) {
            object.entry("ttlMs").or_insert(json!(0));
            object.entry("cacheScope").or_insert(json!("private"));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modern_results_are_marked_complete_and_cacheable_ones_carry_hints() {
        let listed = shape_result("tools/list", json!({"tools": []}), Era::Modern);
        assert_eq!(listed["resultType"], json!("complete"));
        assert_eq!(listed["ttlMs"], json!(0));
        assert_eq!(listed["cacheScope"], json!("private"));
        let called = shape_result("tools/call", json!({"content": []}), Era::Modern);
        assert_eq!(called["resultType"], json!("complete"));
        assert!(called.get("ttlMs").is_none());
        let legacy = shape_result("tools/list", json!({"tools": []}), Era::Legacy);
        assert!(legacy.get("resultType").is_none());
    }

    #[test]
    fn era_resolution() {
        let envelope = json!({"_meta": {
            era::PROTOCOL_VERSION_META_KEY: "2026-07-28",
            era::CLIENT_CAPABILITIES_META_KEY: {}
        }});
        assert_eq!(resolve_era("tools/list", &envelope, None), Ok(Era::Modern));
        assert_eq!(resolve_era("tools/list", &json!({}), None), Ok(Era::Legacy));
        assert_eq!(resolve_era("initialize", &envelope, None), Ok(Era::Legacy));
        let modern_header = RoutingHeaders {
            protocol_version: Some("2026-07-28".into()),
            method: Some("tools/list".into()),
            name: None,
        };
        let missing_envelope =
            resolve_era("tools/list", &json!({}), Some(&modern_header)).unwrap_err();
        assert_eq!(missing_envelope.code, rpc::INVALID_PARAMS);
        let legacy_header = RoutingHeaders {
            protocol_version: Some("2025-06-18".into()),
            ..RoutingHeaders::default()
        };
        assert_eq!(
            resolve_era("tools/list", &json!({}), Some(&legacy_header)),
            Ok(Era::Legacy)
        );
    }
}
