//! Protocol revisions and the per-request era decision.
//!
//! A request belongs to the modern (2026-07-28, stateless) era when its
//! `params._meta` carries the protocol-version envelope key; otherwise it is
//! a legacy (handshake) request. Modern requests are validated in the order
//! the specification's ladder gives: envelope shape, then (over HTTP) the
//! routing headers against the body, then the version itself.

use serde_json::{json, Value};

use crate::rpc::{RpcError, HEADER_MISMATCH, INVALID_PARAMS, UNSUPPORTED_PROTOCOL_VERSION};

pub const LEGACY_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
pub const LATEST_LEGACY_VERSION: &str = "2025-11-25";
pub const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];

pub const PROTOCOL_VERSION_META_KEY: &str = "io.modelcontextprotocol/protocolVersion";
pub const CLIENT_CAPABILITIES_META_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
pub const SERVER_INFO_META_KEY: &str = "io.modelcontextprotocol/serverInfo";

/// Which era a request is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    Legacy,
    Modern,
}

/// The routing headers of a modern HTTP request (already lower-cased names).
#[derive(Debug, Clone, Default)]
pub struct RoutingHeaders {
    pub protocol_version: Option<String>,
    pub method: Option<String>,
    pub name: Option<String>,
}

/// Whether the request carries the modern envelope key.
pub fn is_modern_request(params: &Value) -> bool {
    params
        .get("_meta")
        .and_then(Value::as_object)
        .is_some_and(|meta| meta.contains_key(PROTOCOL_VERSION_META_KEY))
}

/// Negotiates the legacy version answered to `initialize`: the client's own
/// when supported, the newest legacy revision otherwise.
pub fn negotiate_legacy_version(requested: Option<&str>) -> &'static str {
    requested
        .and_then(|wanted| LEGACY_VERSIONS.iter().find(|known| **known == wanted))
        .copied()
        .unwrap_or(LATEST_LEGACY_VERSION)
}

/// Validates a modern request's envelope (and, when given, its routing
/// headers). Returns the protocol version on success.
pub fn validate_modern(
    method: &str,
    params: &Value,
    headers: Option<&RoutingHeaders>,
) -> Result<String, RpcError> {
    let meta = params
        .get("_meta")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            RpcError::new(
                INVALID_PARAMS,
                "params._meta must be an object carrying the protocol envelope",
            )
        })?;
    let missing: Vec<&str> = [PROTOCOL_VERSION_META_KEY, CLIENT_CAPABILITIES_META_KEY]
        .into_iter()
        .filter(|key| !meta.contains_key(*key))
        .collect();
    if !missing.is_empty() {
        return Err(RpcError::new(
            INVALID_PARAMS,
            format!(
                "params._meta is missing the required envelope key(s): {}",
                missing.join(", ")
            ),
        ));
    }
    let version = meta
        .get(PROTOCOL_VERSION_META_KEY)
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(headers) = headers {
        check_headers(method, params, &version, headers)?;
    }
    let Some(version) = version.as_str() else {
        return Err(RpcError::new(
            INVALID_PARAMS,
            "the protocol-version envelope value must be a string",
        ));
    };
    if !MODERN_VERSIONS.contains(&version) {
        return Err(
            RpcError::new(UNSUPPORTED_PROTOCOL_VERSION, "unsupported protocol version")
                .with_data(json!({ "supported": MODERN_VERSIONS, "requested": version })),
        );
    }
    Ok(version.to_owned())
}

fn check_headers(
    method: &str,
    params: &Value,
    version: &Value,
    headers: &RoutingHeaders,
) -> Result<(), RpcError> {
    let mismatch = |what: &str| {
        RpcError::new(
            HEADER_MISMATCH,
            format!("{what} header does not match the request body"),
        )
    };
    if headers.protocol_version.as_deref() != version.as_str() || headers.protocol_version.is_none()
    {
        return Err(mismatch("mcp-protocol-version"));
    }
    if headers.method.as_deref() != Some(method) {
        return Err(mismatch("mcp-method"));
    }
    let name_key = match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(body_name) = name_key
        .and_then(|key| params.get(key))
        .and_then(Value::as_str)
    {
        let header_name = headers.name.as_deref().and_then(decode_header_value);
        if header_name.as_deref() != Some(body_name) {
            return Err(mismatch("mcp-name"));
        }
    }
    Ok(())
}

/// Decodes a header value that may use the `=?base64?...?=` wrapping.
/// A malformed wrapping decodes to `None`, so it never matches a body value.
pub fn decode_header_value(value: &str) -> Option<String> {
    let Some(payload) = value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Some(value.to_owned());
    };
    let bytes = decode_base64(payload)?;
    String::from_utf8(bytes).ok()
}

fn decode_base64(input: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if input.len() % 4 != 0 {
        return None;
    }
    let trimmed = input.trim_end_matches('=');
    if input.len() - trimmed.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in trimmed.bytes() {
        let value = ALPHABET.iter().position(|candidate| *candidate == byte)?;
        buffer = (buffer << 6) | u32::try_from(value).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    // Non-canonical encodings (stray low bits) never match.
    if buffer & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modern_params(version: &str) -> Value {
        json!({"name": "query", "_meta": {
            PROTOCOL_VERSION_META_KEY: version,
            CLIENT_CAPABILITIES_META_KEY: {}
        }})
    }

    #[test]
    fn legacy_negotiation_echoes_known_versions_and_counters_unknown_ones() {
        assert_eq!(negotiate_legacy_version(Some("2025-03-26")), "2025-03-26");
        assert_eq!(
            negotiate_legacy_version(Some("1999-01-01")),
            LATEST_LEGACY_VERSION
        );
        assert_eq!(negotiate_legacy_version(None), LATEST_LEGACY_VERSION);
    }

    #[test]
    fn modern_validation_follows_the_ladder() {
        assert_eq!(
            validate_modern("tools/call", &modern_params("2026-07-28"), None),
            Ok("2026-07-28".to_owned())
        );
        let unsupported =
            validate_modern("tools/call", &modern_params("2030-01-01"), None).unwrap_err();
        assert_eq!(unsupported.code, UNSUPPORTED_PROTOCOL_VERSION);
        assert_eq!(
            unsupported.data,
            Some(json!({"supported": ["2026-07-28"], "requested": "2030-01-01"}))
        );
        let missing = validate_modern(
            "tools/list",
            &json!({"_meta": {PROTOCOL_VERSION_META_KEY: "2026-07-28"}}),
            None,
        )
        .unwrap_err();
        assert_eq!(missing.code, INVALID_PARAMS);
    }

    #[test]
    fn header_mismatches_are_reported_before_version_support() {
        let good = RoutingHeaders {
            protocol_version: Some("2026-07-28".into()),
            method: Some("tools/call".into()),
            name: Some("query".into()),
        };
        assert!(validate_modern("tools/call", &modern_params("2026-07-28"), Some(&good)).is_ok());
        let cases = [
            RoutingHeaders {
                protocol_version: None,
                ..good.clone()
            },
            RoutingHeaders {
                method: Some("tools/list".into()),
                ..good.clone()
            },
            RoutingHeaders {
                name: Some("other".into()),
                ..good.clone()
            },
            RoutingHeaders {
                name: None,
                ..good.clone()
            },
        ];
        for headers in cases {
            let error = validate_modern("tools/call", &modern_params("2026-07-28"), Some(&headers))
                .unwrap_err();
            assert_eq!(error.code, HEADER_MISMATCH, "{headers:?}");
        }
        let encoded = RoutingHeaders {
            name: Some("=?base64?cXVlcnk=?=".into()),
            ..good
        };
        assert!(
            validate_modern("tools/call", &modern_params("2026-07-28"), Some(&encoded)).is_ok()
        );
    }

    #[test]
    fn header_value_decoding_rejects_malformed_base64() {
        assert_eq!(decode_header_value("plain"), Some("plain".to_owned()));
        assert_eq!(decode_header_value("=?base64?w6k=?="), Some("é".to_owned()));
        assert_eq!(decode_header_value("=?base64?***?="), None);
        assert_eq!(decode_header_value("=?base64?cXVlcnl=?="), None);
    }
}
