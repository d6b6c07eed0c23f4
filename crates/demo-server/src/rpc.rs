//! JSON-RPC 2.0 primitives: classifying an incoming message, error codes and
//! building responses.
//!
//! Invariants: every response carries `"jsonrpc": "2.0"` and echoes the
//! request id unchanged; a message that cannot be classified is answered with
//! a parse or invalid-request error whose id is `null`.

use serde_json::{json, Map, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
pub const RESOURCE_NOT_FOUND: i64 = -32002;
pub const HEADER_MISMATCH: i64 = -32020;
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }

    pub fn method_not_found(method: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, format!("method not found: {method}"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(INTERNAL_ERROR, message)
    }

    pub fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(data), Some(object)) = (&self.data, error.as_object_mut()) {
            object.insert("data".to_owned(), data.clone());
        }
        error
    }
}

/// An incoming JSON-RPC message, classified by shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Request {
        id: Value,
        method: String,
        params: Value,
    },
    Notification {
        method: String,
        params: Value,
    },
    /// A response to a request this server sent; the demo server sends none,
    /// so these are ignored.
    Response,
}

/// Classifies a decoded JSON value. `Err` carries the error response to send.
pub fn classify(message: &Value) -> Result<Incoming, Value> {
    let Some(object) = message.as_object() else {
        return Err(error_response(
            &Value::Null,
            &RpcError::new(INVALID_REQUEST, "message must be a json object"),
        ));
    };
    let id = object.get("id").cloned();
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(error_response(
            id.as_ref().unwrap_or(&Value::Null),
            &RpcError::new(INVALID_REQUEST, "jsonrpc must be \"2.0\""),
        ));
    }
    let params = object.get("params").cloned().unwrap_or(Value::Null);
    match (object.get("method"), id) {
        (Some(Value::String(method)), Some(id)) if is_valid_id(&id) => Ok(Incoming::Request {
            id,
            method: method.clone(),
            params,
        }),
        (Some(Value::String(_)), Some(_)) => Err(error_response(
            &Value::Null,
            &RpcError::new(INVALID_REQUEST, "id must be a string or an integer"),
        )),
        (Some(Value::String(method)), None) => Ok(Incoming::Notification {
            method: method.clone(),
            params,
        }),
        (None, Some(_)) if object.contains_key("result") || object.contains_key("error") => {
            Ok(Incoming::Response)
        }
        _ => Err(error_response(
            &Value::Null,
            &RpcError::new(
                INVALID_REQUEST,
                "message is neither a request, a notification nor a response",
            ),
        )),
    }
}

fn is_valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_u64()
}

pub fn success_response(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

pub fn error_response(id: &Value, error: &RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() })
}

pub fn notification(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": method, "params": params })
}

/// The `params` object of a request, or an empty one when absent.
/// A non-object `params` is a bad-params error.
pub fn params_object(params: &Value) -> Result<Map<String, Value>, RpcError> {
    match params {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map.clone()),
        _ => Err(RpcError::invalid_params("params must be an object")),
    }
}

/// `params._meta.progressToken`, when the caller asked for progress.
pub fn progress_token(params: &Value) -> Option<Value> {
    params
        .get("_meta")
        .and_then(|meta| meta.get("progressToken"))
        .filter(|token| token.is_string() || token.is_i64() || token.is_u64())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_requests_notifications_and_responses() {
        let request = json!({"jsonrpc": "2.0", "id": 7, "method": "ping"});
        assert!(
            matches!(classify(&request), Ok(Incoming::Request { method, .. }) if method == "ping")
        );
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert!(matches!(classify(&note), Ok(Incoming::Notification { .. })));
        let response = json!({"jsonrpc": "2.0", "id": 1, "result": {}});
        assert_eq!(classify(&response), Ok(Incoming::Response));
    }

    #[test]
    fn rejects_malformed_messages() {
        for bad in [
            json!([1, 2]),
            json!({"id": 1, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": 1}),
        ] {
            let error = classify(&bad).expect_err("must be rejected");
            assert_eq!(error["error"]["code"], json!(INVALID_REQUEST), "{bad}");
        }
    }

    #[test]
    fn progress_token_only_accepts_strings_and_integers() {
        assert_eq!(
            progress_token(&json!({"_meta": {"progressToken": "t"}})),
            Some(json!("t"))
        );
        assert_eq!(
            progress_token(&json!({"_meta": {"progressToken": 3}})),
            Some(json!(3))
        );
        assert_eq!(
            progress_token(&json!({"_meta": {"progressToken": 1.5}})),
            None
        );
        assert_eq!(progress_token(&json!({})), None);
    }
}
