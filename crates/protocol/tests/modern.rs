//! Era detection and validation of modern (2026-07-28) requests.

#![allow(clippy::unwrap_used, clippy::panic)] // helpers outside #[test] fns

use behavry_protocol::{
    is_modern_request, modern_request_headers, validate_modern_request, ModernRequest,
    ProtocolError, HEADER_MISMATCH, INVALID_PARAMS, UNSUPPORTED_VERSION,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

const PV: &str = "io.modelcontextprotocol/protocolVersion";
const CAPS: &str = "io.modelcontextprotocol/clientCapabilities";
const INFO: &str = "io.modelcontextprotocol/clientInfo";

/// Header pairs as (name, raw value bytes).
type Pairs<'a> = Vec<(&'a str, &'a [u8])>;

fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    map
}

fn call_params(name: Value, version: Value) -> Value {
    json!({"name": name, "arguments": {"text": "hi"}, "_meta": {PV: version, CAPS: {}, INFO: {"name": "c", "version": "1"}}})
}

#[test]
fn accepts_a_coherent_request() {
    let params = call_params(json!("echo"), json!("2026-07-28"));
    let h = headers(&[
        ("mcp-protocol-version", b"2026-07-28"),
        ("mcp-method", b"tools/call"),
        ("mcp-name", b"echo"),
    ]);
    assert_eq!(
        validate_modern_request(&h, "tools/call", Some(&params)),
        Ok(ModernRequest {
            protocol_version: "2026-07-28".into(),
            client_capabilities: Some(json!({})),
            client_info: Some(json!({"name": "c", "version": "1"})),
        })
    );
    let b64 = headers(&[
        ("mcp-protocol-version", b"2026-07-28"),
        ("mcp-method", b"tools/call"),
        ("mcp-name", b"=?base64?ZWNobw==?="),
    ]);
    assert!(validate_modern_request(&b64, "tools/call", Some(&params)).is_ok());
    let list = json!({"_meta": {PV: "2026-07-28", CAPS: {"roots": {}}}});
    let lh = headers(&[
        ("mcp-protocol-version", b"2026-07-28"),
        ("mcp-method", b"tools/list"),
    ]);
    let ok = validate_modern_request(&lh, "tools/list", Some(&list)).unwrap();
    assert_eq!(ok.client_info, None);
    assert_eq!(ok.client_capabilities, Some(json!({"roots": {}})));
}

#[test]
fn rejection_table() {
    let good_call = call_params(json!("echo"), json!("2026-07-28"));
    let full: &[(&str, &[u8])] = &[
        ("mcp-protocol-version", b"2026-07-28"),
        ("mcp-method", b"tools/call"),
        ("mcp-name", b"echo"),
    ];
    let without = |skip: &str| -> Vec<(&str, &[u8])> {
        full.iter().filter(|(n, _)| *n != skip).copied().collect()
    };
    let with = |name: &'static str, value: &'static [u8]| -> Vec<(&str, &[u8])> {
        let mut v = without(name);
        v.push((name, value));
        v
    };
    let mut dup = full.to_vec();
    dup.push(("mcp-method", b"tools/call"));
    let cases: Vec<(&str, Pairs, &str, Option<Value>, i64)> = vec![
        (
            "no params",
            full.to_vec(),
            "tools/call",
            None,
            INVALID_PARAMS,
        ),
        (
            "no meta",
            full.to_vec(),
            "tools/call",
            Some(json!({"name": "echo"})),
            INVALID_PARAMS,
        ),
        (
            "meta not object",
            full.to_vec(),
            "tools/call",
            Some(json!({"name": "echo", "_meta": 1})),
            INVALID_PARAMS,
        ),
        (
            "no caps",
            full.to_vec(),
            "tools/call",
            Some(json!({"name": "echo", "_meta": {PV: "2026-07-28"}})),
            INVALID_PARAMS,
        ),
        (
            "no version key",
            full.to_vec(),
            "tools/call",
            Some(json!({"name": "echo", "_meta": {CAPS: {}}})),
            INVALID_PARAMS,
        ),
        (
            "version header missing",
            without("mcp-protocol-version"),
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "version header differs",
            with("mcp-protocol-version", b"2025-11-25"),
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "body version not string",
            full.to_vec(),
            "tools/call",
            Some(call_params(json!("echo"), json!(20260728))),
            HEADER_MISMATCH,
        ),
        (
            "method header missing",
            without("mcp-method"),
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "method header differs",
            with("mcp-method", b"tools/list"),
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "method header case",
            with("mcp-method", b"Tools/Call"),
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "name header missing",
            without("mcp-name"),
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "name header differs",
            with("mcp-name", b"other"),
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "name header bad base64",
            with("mcp-name", b"=?base64?ZWNobw?="),
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "name header obs-text",
            with("mcp-name", b"ech\xf6"),
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "body name not string",
            full.to_vec(),
            "tools/call",
            Some(call_params(json!(5), json!("2026-07-28"))),
            HEADER_MISMATCH,
        ),
        (
            "duplicate routing header",
            dup,
            "tools/call",
            Some(good_call.clone()),
            HEADER_MISMATCH,
        ),
        (
            "unsupported version",
            with("mcp-protocol-version", b"2027-01-01"),
            "tools/call",
            Some(call_params(json!("echo"), json!("2027-01-01"))),
            UNSUPPORTED_VERSION,
        ),
        (
            "legacy version in envelope",
            with("mcp-protocol-version", b"2025-11-25"),
            "tools/call",
            Some(call_params(json!("echo"), json!("2025-11-25"))),
            UNSUPPORTED_VERSION,
        ),
    ];
    for (label, pairs, method, params, code) in cases {
        let err = validate_modern_request(&headers(&pairs), method, params.as_ref()).unwrap_err();
        assert_eq!((err.code, err.http_status), (code, 400), "{label}: {err:?}");
    }
}

#[test]
fn name_check_follows_the_method() {
    let read = json!({"uri": "file:///a b.txt", "_meta": {PV: "2026-07-28", CAPS: {}}});
    let ok = headers(&[
        ("mcp-protocol-version", b"2026-07-28"),
        ("mcp-method", b"resources/read"),
        ("mcp-name", b"file:///a b.txt"),
    ]);
    assert!(validate_modern_request(&ok, "resources/read", Some(&read)).is_ok());
    let bad = headers(&[
        ("mcp-protocol-version", b"2026-07-28"),
        ("mcp-method", b"resources/read"),
        ("mcp-name", b"file:///b"),
    ]);
    let err = validate_modern_request(&bad, "resources/read", Some(&read)).unwrap_err();
    assert_eq!(
        err.message,
        "mcp-name header does not match the request body's 'uri' parameter"
    );
    let prompt = json!({"name": "greet", "_meta": {PV: "2026-07-28", CAPS: {}}});
    let none = headers(&[
        ("mcp-protocol-version", b"2026-07-28"),
        ("mcp-method", b"prompts/get"),
    ]);
    assert_eq!(
        validate_modern_request(&none, "prompts/get", Some(&prompt))
            .unwrap_err()
            .code,
        HEADER_MISMATCH
    );
    // A body without the name is left to params validation (INVALID_PARAMS later).
    let nameless = json!({"_meta": {PV: "2026-07-28", CAPS: {}}});
    let h = headers(&[
        ("mcp-protocol-version", b"2026-07-28"),
        ("mcp-method", b"tools/call"),
    ]);
    assert!(validate_modern_request(&h, "tools/call", Some(&nameless)).is_ok());
}

#[test]
fn unsupported_version_error_shape() {
    let err = ProtocolError::unsupported_version("2027-01-01");
    let body = err.to_response(Some(&8.into()));
    assert_eq!(
        body,
        json!({"jsonrpc": "2.0", "id": 8, "error": {"code": -32022, "message": "Unsupported protocol version",
               "data": {"supported": ["2026-07-28"], "requested": "2027-01-01"}}})
    );
}

#[test]
fn era_detection_table() {
    let modern_meta = json!({"_meta": {PV: "2026-07-28"}});
    let cases: Vec<(Pairs, Option<Value>, bool)> = vec![
        (vec![("mcp-protocol-version", b"2026-07-28")], None, true),
        (vec![("mcp-protocol-version", b"2027-01-01")], None, true),
        (vec![("mcp-protocol-version", b"2025-11-25")], None, false),
        (
            vec![("mcp-protocol-version", b"2024-11-05")],
            Some(json!({"name": "x"})),
            false,
        ),
        (vec![], None, false),
        (
            vec![],
            Some(json!({"protocolVersion": "2025-11-25"})),
            false,
        ),
        (vec![], Some(modern_meta.clone()), true),
        (
            vec![("mcp-protocol-version", b"2025-11-25")],
            Some(modern_meta),
            true,
        ),
        (vec![], Some(json!({"_meta": "x"})), false),
    ];
    for (pairs, params, expected) in cases {
        assert_eq!(
            is_modern_request(&headers(&pairs), params.as_ref()),
            expected,
            "{pairs:?} {params:?}"
        );
    }
}

#[test]
fn built_headers_pass_validation() {
    for (method, params) in [
        (
            "tools/call",
            call_params(json!("files.read ü"), json!("2026-07-28")),
        ),
        (
            "tools/call",
            call_params(json!(" padded "), json!("2026-07-28")),
        ),
        (
            "resources/read",
            json!({"uri": "files+file:///a.txt", "_meta": {PV: "2026-07-28", CAPS: {}}}),
        ),
        ("tools/list", json!({"_meta": {PV: "2026-07-28", CAPS: {}}})),
    ] {
        let mut map = HeaderMap::new();
        for (name, value) in modern_request_headers(method, Some(&params)) {
            map.append(name, value);
        }
        assert!(
            validate_modern_request(&map, method, Some(&params)).is_ok(),
            "{method} {params}"
        );
    }
}
