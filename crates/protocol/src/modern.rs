//! Era detection and validation of an inbound 2026-07-28 request, mirroring
//! the reference SDK's ladder (first failure wins, all HTTP 400):
//!
//! 1. `params._meta` is an object carrying the protocol version and client
//!    capabilities keys → else INVALID_PARAMS;
//! 2. routing headers: none duplicated; `MCP-Protocol-Version` present and
//!    equal to the `_meta` version; `Mcp-Method` equal to the body method;
//!    for name-bearing methods whose body carries the name/uri, the decoded
//!    `Mcp-Name` equal to it → else HEADER_MISMATCH;
//! 3. the version is a string → else INVALID_PARAMS; a supported modern
//!    version → else UNSUPPORTED_VERSION with `{"supported", "requested"}`.
//!
//! A header value that is not visible ASCII never matches (fail closed).
//! `Mcp-Param-*` headers need the tool schema: see `param_headers`.

use http::{HeaderMap, HeaderName};
use serde_json::{json, Value};

use crate::codes::{HEADER_MISMATCH, INVALID_PARAMS, UNSUPPORTED_VERSION};
use crate::headers::{decode_header_value, MCP_METHOD, MCP_NAME, MCP_PROTOCOL_VERSION};
use crate::jsonrpc::{error_response, RequestId};
use crate::target::name_key;
use crate::version::{
    LEGACY_VERSIONS, META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_PROTOCOL_VERSION,
    MODERN_VERSIONS,
};

/// The envelope of a valid modern request.
#[derive(Debug, Clone, PartialEq)]
pub struct ModernRequest {
    /// The agreed protocol version (a member of `MODERN_VERSIONS`).
    pub protocol_version: String,
    /// `_meta` client capabilities, as sent (presence checked, not shape).
    pub client_capabilities: Option<Value>,
    /// `_meta` client info, when sent.
    pub client_info: Option<Value>,
}

/// A protocol-level rejection, ready to be written as a JSON-RPC error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ProtocolError {
    /// HTTP status to answer with.
    pub http_status: u16,
    /// JSON-RPC error code.
    pub code: i64,
    /// Error message.
    pub message: String,
    /// Error data, when the code defines some.
    pub data: Option<Value>,
}

impl ProtocolError {
    /// A 400 error with no data.
    pub fn bad_request(code: i64, message: impl Into<String>) -> Self {
        ProtocolError {
            http_status: 400,
            code,
            message: message.into(),
            data: None,
        }
    }

    /// A HEADER_MISMATCH (-32020, HTTP 400) error.
    pub fn header_mismatch(message: impl Into<String>) -> Self {
        Self::bad_request(HEADER_MISMATCH, message)
    }

    /// The UNSUPPORTED_VERSION (-32022, HTTP 400) error for `requested`.
    pub fn unsupported_version(requested: &str) -> Self {
        ProtocolError {
            http_status: 400,
            code: UNSUPPORTED_VERSION,
            message: "Unsupported protocol version".to_owned(),
            data: Some(json!({"supported": MODERN_VERSIONS, "requested": requested})),
        }
    }

    /// The JSON-RPC error response body for request `id`.
    pub fn to_response(&self, id: Option<&RequestId>) -> Value {
        error_response(id, self.code, &self.message, self.data.clone())
    }
}

/// Whether a request belongs to the modern era: its `MCP-Protocol-Version`
/// header is present and not a legacy version (an unknown version is routed
/// here so it is answered with UNSUPPORTED_VERSION), or its `params._meta`
/// carries the protocol version key.
pub fn is_modern_request(headers: &HeaderMap, params: Option<&Value>) -> bool {
    if let Some(value) = headers.get(MCP_PROTOCOL_VERSION) {
        let legacy = value.to_str().is_ok_and(|v| LEGACY_VERSIONS.contains(&v));
        if !legacy {
            return true;
        }
    }
    params
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object)
        .is_some_and(|meta| meta.contains_key(META_PROTOCOL_VERSION))
}

/// The single value of a routing header: `Ok(None)` when absent, an error
/// when repeated, `Ok(Some(None))` when present but not visible ASCII.
fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<Option<&'a str>>, ProtocolError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ProtocolError::header_mismatch(format!(
            "{name} header appears more than once"
        )));
    }
    Ok(Some(first.to_str().ok()))
}

/// Validates the envelope and routing headers of an inbound modern request.
pub fn validate_modern_request(
    headers: &HeaderMap,
    method: &str,
    params: Option<&Value>,
) -> Result<ModernRequest, ProtocolError> {
    let meta = params
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object)
        .ok_or_else(|| {
            ProtocolError::bad_request(
                INVALID_PARAMS,
                format!(
                    "params._meta must be an object carrying the required \
                     {META_PROTOCOL_VERSION} and {META_CLIENT_CAPABILITIES} envelope keys"
                ),
            )
        })?;
    let missing: Vec<&str> = [META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES]
        .into_iter()
        .filter(|key| !meta.contains_key(*key))
        .collect();
    if !missing.is_empty() {
        return Err(ProtocolError::bad_request(
            INVALID_PARAMS,
            format!(
                "params._meta is missing the required envelope key(s): {}",
                missing.join(", ")
            ),
        ));
    }
    let body_version = meta.get(META_PROTOCOL_VERSION);

    let version_header = single_header(headers, &MCP_PROTOCOL_VERSION)?;
    let method_header = single_header(headers, &MCP_METHOD)?;
    let name_header = single_header(headers, &MCP_NAME)?;

    let version_matches = matches!(
        (version_header, body_version),
        (Some(Some(h)), Some(Value::String(b))) if h == b
    );
    if !version_matches {
        return Err(ProtocolError::header_mismatch(
            "mcp-protocol-version header does not match the request envelope's protocol version",
        ));
    }
    if method_header != Some(Some(method)) {
        return Err(ProtocolError::header_mismatch(
            "mcp-method header does not match the request body's method",
        ));
    }
    if let Some(key) = name_key(method) {
        let body_value = params.and_then(|p| p.get(key)).filter(|v| !v.is_null());
        if let Some(body_value) = body_value {
            let decoded = name_header.flatten().and_then(decode_header_value);
            let matches = matches!((decoded, body_value), (Some(h), Value::String(b)) if h == *b);
            if !matches {
                return Err(ProtocolError::header_mismatch(format!(
                    "mcp-name header does not match the request body's '{key}' parameter"
                )));
            }
        }
    }

    let Some(Value::String(version)) = body_version else {
        return Err(ProtocolError::bad_request(
            INVALID_PARAMS,
            "the protocol-version envelope value must be a string",
        ));
    };
    if !MODERN_VERSIONS.contains(&version.as_str()) {
        return Err(ProtocolError::unsupported_version(version));
    }
    Ok(ModernRequest {
        protocol_version: version.clone(),
        client_capabilities: meta.get(META_CLIENT_CAPABILITIES).cloned(),
        client_info: meta.get(META_CLIENT_INFO).filter(|v| !v.is_null()).cloned(),
    })
}
