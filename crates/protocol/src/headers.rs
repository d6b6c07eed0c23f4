//! MCP HTTP header names and the header value codec, plus building the
//! routing headers of an outgoing 2026-07-28 request.
//!
//! Codec: a value that is visible ASCII (0x20–0x7E), has no leading or
//! trailing space and does not itself look like the sentinel travels
//! verbatim; anything else travels as `=?base64?<standard padded base64 of the
//! UTF-8 bytes>?=`. Decoding rejects invalid or non-canonical base64 and
//! invalid UTF-8, so a corrupt header never matches a body value.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::target::name_key;
use crate::version::{LATEST_MODERN, META_PROTOCOL_VERSION};

/// `MCP-Protocol-Version`.
pub const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
/// `Mcp-Method` (modern era).
pub const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
/// `Mcp-Name` (modern era; tools/call, prompts/get, resources/read).
pub const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
/// `Mcp-Session-Id` (legacy era).
pub const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
/// `Last-Event-ID` (legacy era SSE resumption).
pub const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
/// Prefix of the per-argument headers (`Mcp-Param-<token>`), lowercase.
pub const MCP_PARAM_PREFIX: &str = "mcp-param-";

const SENTINEL_PREFIX: &str = "=?base64?";
const SENTINEL_SUFFIX: &str = "?=";

fn sentinel_payload(value: &str) -> Option<&str> {
    if value.len() < SENTINEL_PREFIX.len() + SENTINEL_SUFFIX.len() {
        return None;
    }
    value
        .strip_prefix(SENTINEL_PREFIX)
        .and_then(|rest| rest.strip_suffix(SENTINEL_SUFFIX))
}

/// Encodes `value` for an MCP header, base64-wrapping it when it would not
/// survive as a plain header value.
pub fn encode_header_value(value: &str) -> String {
    let plain = value.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && sentinel_payload(value).is_none();
    if plain {
        value.to_owned()
    } else {
        format!(
            "{SENTINEL_PREFIX}{}{SENTINEL_SUFFIX}",
            STANDARD.encode(value.as_bytes())
        )
    }
}

/// Decodes a header value: verbatim unless it carries the base64 sentinel;
/// `None` for a malformed sentinel.
pub fn decode_header_value(value: &str) -> Option<String> {
    let Some(payload) = sentinel_payload(value) else {
        return Some(value.to_owned());
    };
    let bytes = STANDARD.decode(payload).ok()?;
    if STANDARD.encode(&bytes) != payload {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// A header value from an encoded string; the codec output is always valid,
/// the fallback only guards against misuse.
pub(crate) fn header_value(encoded: &str) -> HeaderValue {
    HeaderValue::from_str(encoded).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The routing headers of an outgoing 2026-07-28 request: `MCP-Protocol-Version`
/// (from `params._meta`, else the latest modern version), `Mcp-Method`, and
/// `Mcp-Name` for the name-bearing methods when the body carries a string name.
/// `Mcp-Param-*` headers need the tool's schema: see `param_headers_for_call`.
pub fn modern_request_headers(
    method: &str,
    params: Option<&Value>,
) -> Vec<(HeaderName, HeaderValue)> {
    let version = params
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(META_PROTOCOL_VERSION))
        .and_then(Value::as_str)
        .unwrap_or(LATEST_MODERN);
    let mut headers = vec![
        (
            MCP_PROTOCOL_VERSION,
            header_value(&encode_header_value(version)),
        ),
        (MCP_METHOD, header_value(&encode_header_value(method))),
    ];
    if let Some(name) = name_key(method)
        .and_then(|key| params.and_then(|p| p.get(key)))
        .and_then(Value::as_str)
    {
        headers.push((MCP_NAME, header_value(&encode_header_value(name))));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encode_table() {
        for (input, encoded) in [
            ("echo", "echo"),
            ("files.read_file", "files.read_file"),
            ("file:///a b.txt", "file:///a b.txt"),
            ("", ""),
            (" lead", "=?base64?IGxlYWQ=?="),
            ("trail ", "=?base64?dHJhaWwg?="),
            ("héllo", "=?base64?aMOpbGxv?="),
            ("a\nb", "=?base64?YQpi?="),
            ("=?base64?abc?=", "=?base64?PT9iYXNlNjQ/YWJjPz0=?="),
        ] {
            assert_eq!(encode_header_value(input), encoded, "{input:?}");
            assert_eq!(
                decode_header_value(encoded).as_deref(),
                Some(input),
                "{encoded:?}"
            );
        }
    }

    #[test]
    fn decode_table() {
        for (input, decoded) in [
            ("=?base64?ZWNobw==?=", Some("echo")),
            ("=?base64?ZWNobw?=", None),
            ("=?base64?ZWNobx==?=", None),
            ("=?base64?!!!!?=", None),
            ("=?base64?/w==?=", None),
            ("=?base64??=", Some("")),
            ("=?base64?=", Some("=?base64?=")),
            ("plain", Some("plain")),
        ] {
            assert_eq!(decode_header_value(input).as_deref(), decoded, "{input:?}");
        }
    }

    #[test]
    fn builds_modern_headers() {
        let params = json!({"name": "tool ü", "_meta": {META_PROTOCOL_VERSION: "2026-07-28"}});
        let headers = modern_request_headers("tools/call", Some(&params));
        let pairs: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("mcp-protocol-version".into(), "2026-07-28".into()),
                ("mcp-method".into(), "tools/call".into()),
                ("mcp-name".into(), "=?base64?dG9vbCDDvA==?=".into()),
            ]
        );
        let read = modern_request_headers("resources/read", Some(&json!({"uri": "file:///x"})));
        assert_eq!(read[2].1, "file:///x");
        let list = modern_request_headers("tools/list", None);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].1, LATEST_MODERN);
    }
}
