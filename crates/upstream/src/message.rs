//! JSON-RPC message helpers used by the transports: building outgoing
//! messages, classifying incoming ones, progress tokens, and the 2026-07-28
//! per-request `_meta` and header stamping.
//!
//! Messages stay `serde_json::Value`: the gateway forwards what it does not
//! need to understand untouched.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::spec::{ClientInit, ServerMessage};

pub(crate) const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub(crate) const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub(crate) const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";

/// An incoming JSON-RPC message, classified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    /// A response to one of our requests: `Ok(result)` or `Err(error object)`.
    Response {
        id: Value,
        outcome: Result<Value, Value>,
    },
    Server(ServerMessage),
}

/// Classifies one parsed message; `None` when it is not a JSON-RPC message.
pub(crate) fn classify(message: Value) -> Option<Incoming> {
    let object = message.as_object()?;
    let has_method = object.get("method").is_some_and(Value::is_string);
    let id = object.get("id").cloned();
    if has_method {
        return Some(Incoming::Server(match id {
            Some(Value::Null) | None => ServerMessage::Notification(message),
            Some(_) => ServerMessage::Request(message),
        }));
    }
    let id = id?;
    let outcome = match (object.get("result"), object.get("error")) {
        (Some(result), None) => Ok(result.clone()),
        (None, Some(error)) if error.is_object() => Err(error.clone()),
        _ => return None,
    };
    Some(Incoming::Response { id, outcome })
}

pub(crate) fn request(id: u64, method: &str, params: Option<Value>) -> Value {
    let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if let (Some(params), Some(object)) = (params, message.as_object_mut()) {
        object.insert("params".to_owned(), params);
    }
    message
}

pub(crate) fn notification(method: &str, params: Option<Value>) -> Value {
    let mut message = json!({"jsonrpc": "2.0", "method": method});
    if let (Some(params), Some(object)) = (params, message.as_object_mut()) {
        object.insert("params".to_owned(), params);
    }
    message
}

pub(crate) fn response(id: Value, outcome: Result<Value, Value>) -> Value {
    match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
    }
}

pub(crate) fn cancelled(id: u64, reason: &str) -> Value {
    notification(
        "notifications/cancelled",
        Some(json!({"requestId": id, "reason": reason})),
    )
}

/// The `_meta.progressToken` a request carries, if any.
pub(crate) fn request_progress_token(params: Option<&Value>) -> Option<Value> {
    let token = params?.get("_meta")?.get("progressToken")?;
    (token.is_string() || token.is_number()).then(|| token.clone())
}

/// The progress token a notification refers to (`params.progressToken` or
/// `params._meta.progressToken`).
pub(crate) fn notification_progress_token(message: &Value) -> Option<&Value> {
    let params = message.get("params")?;
    params
        .get("progressToken")
        .or_else(|| params.get("_meta")?.get("progressToken"))
}

/// Adds the 2026-07-28 `_meta` envelope to request params. The protocol
/// version is always set (it must equal the header); capabilities and client
/// info forwarded from a modern downstream client are kept, otherwise the
/// gateway's own are used. Returns `None` if `params` is not an object.
pub(crate) fn stamp_modern_meta(
    params: Option<Value>,
    version: &str,
    init: &ClientInit,
) -> Option<Value> {
    let mut params = params.unwrap_or_else(|| Value::Object(Map::new()));
    let object = params.as_object_mut()?;
    let meta = object
        .entry("_meta")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()?;
    meta.insert(META_PROTOCOL_VERSION.to_owned(), Value::from(version));
    meta.entry(META_CLIENT_CAPABILITIES)
        .or_insert_with(|| init.capabilities.clone());
    meta.entry(META_CLIENT_INFO)
        .or_insert_with(|| init.client_info.clone());
    Some(params)
}

/// The `Mcp-Name` header value for name-bearing methods (already encoded).
pub(crate) fn mcp_name_header(method: &str, params: Option<&Value>) -> Option<String> {
    let key = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return None,
    };
    params?.get(key)?.as_str().map(encode_header_value)
}

/// Printable ASCII without edge whitespace passes verbatim; anything else is
/// wrapped as `=?base64?...?=`.
pub(crate) fn encode_header_value(value: &str) -> String {
    let printable = value.bytes().all(|b| (0x20..=0x7e).contains(&b));
    let looks_encoded = value.starts_with("=?base64?") && value.ends_with("?=");
    if printable && value.trim() == value && !looks_encoded {
        return value.to_owned();
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(value.as_bytes());
    format!("=?base64?{encoded}?=")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_messages() {
        let cases = [
            (json!({"jsonrpc":"2.0","id":1,"result":{}}), "response"),
            (
                json!({"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}),
                "response",
            ),
            (
                json!({"jsonrpc":"2.0","id":1,"method":"roots/list"}),
                "request",
            ),
            (
                json!({"jsonrpc":"2.0","method":"notifications/progress"}),
                "notification",
            ),
            (json!({"jsonrpc":"2.0","id":1}), "invalid"),
            (json!({"jsonrpc":"2.0","id":1,"error":"nope"}), "invalid"),
            (json!([1, 2]), "invalid"),
        ];
        for (message, expected) in cases {
            let kind = match classify(message.clone()) {
                Some(Incoming::Response { .. }) => "response",
                Some(Incoming::Server(ServerMessage::Request(_))) => "request",
                Some(Incoming::Server(ServerMessage::Notification(_))) => "notification",
                None => "invalid",
            };
            assert_eq!(kind, expected, "{message}");
        }
    }

    #[test]
    fn modern_meta_keeps_forwarded_capabilities_but_forces_version() {
        let init = ClientInit::new(json!({"gateway": true}), json!({"name": "gw"}));
        let params = json!({"name": "t", "_meta": {
            META_PROTOCOL_VERSION: "1999-01-01",
            META_CLIENT_CAPABILITIES: {"downstream": true}
        }});
        let stamped = stamp_modern_meta(Some(params), "2026-07-28", &init).unwrap();
        let meta = &stamped["_meta"];
        assert_eq!(meta[META_PROTOCOL_VERSION], "2026-07-28");
        assert_eq!(meta[META_CLIENT_CAPABILITIES], json!({"downstream": true}));
        assert_eq!(meta[META_CLIENT_INFO], json!({"name": "gw"}));
        assert!(stamp_modern_meta(Some(json!([1])), "2026-07-28", &init).is_none());
    }

    #[test]
    fn header_values_are_encoded_when_unsafe() {
        assert_eq!(encode_header_value("echo"), "echo");
        assert_eq!(encode_header_value(" x"), "=?base64?IHg=?=");
        assert_eq!(encode_header_value("é"), "=?base64?w6k=?=");
        assert_eq!(
            mcp_name_header("resources/read", Some(&json!({"uri": "file:///a"}))),
            Some("file:///a".to_owned())
        );
        assert_eq!(
            mcp_name_header("tools/list", Some(&json!({"name": "x"}))),
            None
        );
    }

    #[test]
    fn progress_tokens() {
        let params = json!({"_meta": {"progressToken": 7}});
        assert_eq!(request_progress_token(Some(&params)), Some(json!(7)));
        let note = json!({"method": "notifications/progress", "params": {"progressToken": 7}});
        assert_eq!(notification_progress_token(&note), Some(&json!(7)));
    }
}
