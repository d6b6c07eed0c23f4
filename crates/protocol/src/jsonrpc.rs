//! JSON-RPC 2.0 envelopes as MCP uses them.
//!
//! Invariants of a parsed [`Message`]:
//! - `jsonrpc` was exactly `"2.0"`;
//! - request ids are a string or an integer (null, fractional and structured
//!   ids are rejected) and are re-serialized exactly as received;
//! - `params`, when present, is an object (MCP uses named parameters only;
//!   `"params": null` reads as absent);
//! - a response carries exactly one of `result` / `error`, and only an error
//!   response may have a null id (the id could not be determined);
//! - objects never contained a duplicated key (see `strict_json`);
//! - batches (top-level arrays) are refused with a distinct error.
//!
//! Size limits are the caller's job; nesting depth is bounded at 128 levels.

use crate::strict_json::from_slice_strict;
use serde::{Serialize, Serializer};
use serde_json::{Map, Number, Value};
use std::fmt;

/// A JSON-RPC request id: a string or an integer, kept exactly as received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestId {
    /// A string id.
    String(String),
    /// An integer id (always `is_i64()` or `is_u64()`).
    Number(Number),
}

impl RequestId {
    /// Validates a JSON value as a request id.
    pub fn from_value(value: &Value) -> Option<RequestId> {
        match value {
            Value::String(s) => Some(RequestId::String(s.clone())),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(RequestId::Number(n.clone())),
            _ => None,
        }
    }

    /// The id as a JSON value.
    pub fn to_value(&self) -> Value {
        match self {
            RequestId::String(s) => Value::String(s.clone()),
            RequestId::Number(n) => Value::Number(n.clone()),
        }
    }
}

impl From<i64> for RequestId {
    fn from(value: i64) -> Self {
        RequestId::Number(value.into())
    }
}

impl From<&str> for RequestId {
    fn from(value: &str) -> Self {
        RequestId::String(value.to_owned())
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::String(s) => write!(f, "{s:?}"),
            RequestId::Number(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for RequestId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

/// One JSON-RPC 2.0 message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A request: expects a response with the same id.
    Request {
        id: RequestId,
        method: String,
        params: Option<Value>,
    },
    /// A notification: no id, no response.
    Notification {
        method: String,
        params: Option<Value>,
    },
    /// A response; `id` is `None` only for an error whose request id was unknown.
    Response {
        id: Option<RequestId>,
        result: Option<Value>,
        error: Option<Value>,
    },
}

/// Why a body is not one valid JSON-RPC message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// Not JSON (or a duplicated key, or nesting too deep).
    #[error("parse error: {0}")]
    Parse(String),
    /// A top-level JSON array.
    #[error("batch requests are not supported")]
    BatchNotSupported,
    /// JSON, but not a valid JSON-RPC 2.0 message.
    #[error("invalid request: {0}")]
    Invalid(&'static str),
}

impl EnvelopeError {
    /// The JSON-RPC error code to answer with.
    pub fn code(&self) -> i64 {
        match self {
            EnvelopeError::Parse(_) => crate::codes::PARSE_ERROR,
            EnvelopeError::BatchNotSupported | EnvelopeError::Invalid(_) => {
                crate::codes::INVALID_REQUEST
            }
        }
    }
}

/// Parses one JSON-RPC 2.0 message from `bytes`.
pub fn parse_message(bytes: &[u8]) -> Result<Message, EnvelopeError> {
    let value = from_slice_strict(bytes).map_err(|e| EnvelopeError::Parse(e.to_string()))?;
    message_from_value(value)
}

/// Validates an already-decoded JSON value as one JSON-RPC 2.0 message.
pub fn message_from_value(value: Value) -> Result<Message, EnvelopeError> {
    let mut object = match value {
        Value::Object(object) => object,
        Value::Array(_) => return Err(EnvelopeError::BatchNotSupported),
        _ => return Err(EnvelopeError::Invalid("message must be a json object")),
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(EnvelopeError::Invalid("jsonrpc must be \"2.0\""));
    }
    if let Some(method) = object.remove("method") {
        let Value::String(method) = method else {
            return Err(EnvelopeError::Invalid("method must be a string"));
        };
        if object.contains_key("result") || object.contains_key("error") {
            return Err(EnvelopeError::Invalid(
                "a request must not carry result or error",
            ));
        }
        let params = take_params(&mut object)?;
        return match object.get("id") {
            None => Ok(Message::Notification { method, params }),
            Some(id) => {
                let id = RequestId::from_value(id)
                    .ok_or(EnvelopeError::Invalid("id must be a string or an integer"))?;
                Ok(Message::Request { id, method, params })
            }
        };
    }
    let result = object.remove("result");
    let error = object.remove("error");
    let id = match object.get("id") {
        None => return Err(EnvelopeError::Invalid("a response must carry an id")),
        Some(Value::Null) => None,
        Some(id) => Some(
            RequestId::from_value(id)
                .ok_or(EnvelopeError::Invalid("id must be a string or an integer"))?,
        ),
    };
    match (&result, &error) {
        (Some(_), Some(_)) => Err(EnvelopeError::Invalid(
            "a response must not carry both result and error",
        )),
        (None, None) => Err(EnvelopeError::Invalid(
            "message has neither method, result nor error",
        )),
        (Some(_), None) if id.is_none() => {
            Err(EnvelopeError::Invalid("a result response must carry an id"))
        }
        (None, Some(err)) if !is_error_object(err) => Err(EnvelopeError::Invalid(
            "error must be an object with an integer code and a string message",
        )),
        _ => Ok(Message::Response { id, result, error }),
    }
}

fn take_params(object: &mut Map<String, Value>) -> Result<Option<Value>, EnvelopeError> {
    match object.remove("params") {
        None | Some(Value::Null) => Ok(None),
        Some(params @ Value::Object(_)) => Ok(Some(params)),
        Some(_) => Err(EnvelopeError::Invalid("params must be an object")),
    }
}

fn is_error_object(error: &Value) -> bool {
    let code_ok = error
        .get("code")
        .and_then(Value::as_number)
        .is_some_and(|n| n.is_i64() || n.is_u64());
    code_ok && error.get("message").is_some_and(Value::is_string)
}

impl Message {
    /// The message as a JSON value (with `"jsonrpc":"2.0"`).
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        object.insert("jsonrpc".into(), Value::String("2.0".into()));
        match self {
            Message::Request { id, method, params } => {
                object.insert("id".into(), id.to_value());
                object.insert("method".into(), Value::String(method.clone()));
                if let Some(params) = params {
                    object.insert("params".into(), params.clone());
                }
            }
            Message::Notification { method, params } => {
                object.insert("method".into(), Value::String(method.clone()));
                if let Some(params) = params {
                    object.insert("params".into(), params.clone());
                }
            }
            Message::Response { id, result, error } => {
                object.insert(
                    "id".into(),
                    id.as_ref().map_or(Value::Null, RequestId::to_value),
                );
                if let Some(result) = result {
                    object.insert("result".into(), result.clone());
                }
                if let Some(error) = error {
                    object.insert("error".into(), error.clone());
                }
            }
        }
        Value::Object(object)
    }

    /// The method of a request or notification.
    pub fn method(&self) -> Option<&str> {
        match self {
            Message::Request { method, .. } | Message::Notification { method, .. } => Some(method),
            Message::Response { .. } => None,
        }
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

/// A success response `{"jsonrpc":"2.0","id":…,"result":…}`.
pub fn success(id: &RequestId, result: Value) -> Value {
    Message::Response {
        id: Some(id.clone()),
        result: Some(result),
        error: None,
    }
    .to_value()
}

/// An error response; `id: None` writes `"id": null`, `data: None` omits `data`.
pub fn error_response(
    id: Option<&RequestId>,
    code: i64,
    message: &str,
    data: Option<Value>,
) -> Value {
    let mut error = Map::new();
    error.insert("code".into(), Value::Number(code.into()));
    error.insert("message".into(), Value::String(message.to_owned()));
    if let Some(data) = data {
        error.insert("data".into(), data);
    }
    Message::Response {
        id: id.cloned(),
        result: None,
        error: Some(Value::Object(error)),
    }
    .to_value()
}
