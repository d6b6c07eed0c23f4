//! `Mcp-Param-*` emission and validation.

#![allow(clippy::unwrap_used, clippy::panic)] // helpers outside #[test] fns

use behavry_protocol::{
    invalid_param_header_reason, param_headers_for_call, validate_param_headers, HEADER_MISMATCH,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "count": {"type": "integer", "x-mcp-header": "Count"},
            "dry": {"type": "boolean", "x-mcp-header": "Dry-Run"},
            "nested": {"type": "object", "properties": {"zone": {"type": "string", "x-mcp-header": "Zone"}}},
            "free": {"type": "string"}
        }
    })
}

/// A validation case: label, arguments, header pairs, expected validity.
type Case<'a> = (&'a str, Value, Vec<(&'a str, &'a str)>, bool);

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

#[test]
fn emits_declared_headers() {
    let args =
        json!({"region": "eu west", "count": 3, "dry": true, "nested": {"zone": "ü"}, "free": "x"});
    let mut emitted: Vec<(String, String)> = param_headers_for_call(&schema(), &args)
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    emitted.sort();
    assert_eq!(
        emitted,
        vec![
            ("mcp-param-count".to_owned(), "3".to_owned()),
            ("mcp-param-dry-run".to_owned(), "true".to_owned()),
            ("mcp-param-region".to_owned(), "eu west".to_owned()),
            ("mcp-param-zone".to_owned(), "=?base64?w7w=?=".to_owned()),
        ]
    );
    assert!(param_headers_for_call(&schema(), &json!({"region": null, "count": [1]})).is_empty());
}

#[test]
fn emitted_headers_validate() {
    let args = json!({"region": " x ", "count": -12, "dry": false});
    let mut map = HeaderMap::new();
    for (n, v) in param_headers_for_call(&schema(), &args) {
        map.append(n, v);
    }
    assert_eq!(validate_param_headers(&schema(), &args, &map), Ok(()));
}

#[test]
fn validation_table() {
    let cases: Vec<Case> = vec![
        ("all absent", json!({}), vec![], true),
        (
            "match",
            json!({"region": "eu"}),
            vec![("Mcp-Param-Region", "eu")],
            true,
        ),
        (
            "header name case-insensitive",
            json!({"region": "eu"}),
            vec![("mcp-param-region", "eu")],
            true,
        ),
        (
            "base64 value",
            json!({"region": "eu"}),
            vec![("Mcp-Param-Region", "=?base64?ZXU=?=")],
            true,
        ),
        (
            "integer numeric",
            json!({"count": 42}),
            vec![("Mcp-Param-Count", "42.0")],
            true,
        ),
        (
            "integer float body",
            json!({"count": 42.0}),
            vec![("Mcp-Param-Count", "42")],
            true,
        ),
        (
            "integer mismatch",
            json!({"count": 42}),
            vec![("Mcp-Param-Count", "43")],
            false,
        ),
        (
            "integer fraction",
            json!({"count": 42}),
            vec![("Mcp-Param-Count", "42.5")],
            false,
        ),
        (
            "bool",
            json!({"dry": true}),
            vec![("Mcp-Param-Dry-Run", "true")],
            true,
        ),
        (
            "bool wrong",
            json!({"dry": true}),
            vec![("Mcp-Param-Dry-Run", "True")],
            false,
        ),
        (
            "mismatch",
            json!({"region": "eu"}),
            vec![("Mcp-Param-Region", "us")],
            false,
        ),
        ("missing header", json!({"region": "eu"}), vec![], false),
        (
            "header without argument",
            json!({}),
            vec![("Mcp-Param-Region", "eu")],
            false,
        ),
        (
            "null argument counts as absent",
            json!({"region": null}),
            vec![],
            true,
        ),
        (
            "duplicate header",
            json!({"region": "eu"}),
            vec![("Mcp-Param-Region", "eu"), ("Mcp-Param-Region", "eu")],
            false,
        ),
        (
            "bad base64",
            json!({"region": "eu"}),
            vec![("Mcp-Param-Region", "=?base64?ZXU?=")],
            false,
        ),
        (
            "nested",
            json!({"nested": {"zone": "a"}}),
            vec![("Mcp-Param-Zone", "a")],
            true,
        ),
        (
            "undeclared header ignored",
            json!({"free": "x"}),
            vec![("Mcp-Param-Free", "y")],
            true,
        ),
        (
            "unrenderable with header",
            json!({"region": {"a": 1}}),
            vec![("Mcp-Param-Region", "x")],
            false,
        ),
        (
            "unrenderable without header",
            json!({"region": [1]}),
            vec![],
            true,
        ),
    ];
    for (label, args, pairs, ok) in cases {
        let result = validate_param_headers(&schema(), &args, &headers(&pairs));
        assert_eq!(result.is_ok(), ok, "{label}: {result:?}");
        if let Err(err) = result {
            assert_eq!(
                (err.code, err.http_status),
                (HEADER_MISMATCH, 400),
                "{label}"
            );
        }
    }
}

#[test]
fn invalid_schemas_declare_nothing() {
    let invalid = [
        json!({"x-mcp-header": "Root"}),
        json!({"properties": {"a": {"type": "number", "x-mcp-header": "A"}}}),
        json!({"properties": {"a": {"x-mcp-header": "A"}}}),
        json!({"properties": {"a": {"type": "string", "x-mcp-header": "bad header"}}}),
        json!({"properties": {"a": {"type": "string", "x-mcp-header": 3}}}),
        json!({"properties": {"a": {"type": "string", "x-mcp-header": "A"}, "b": {"type": "string", "x-mcp-header": "a"}}}),
        json!({"properties": {"a": {"type": "array", "items": {"type": "string", "x-mcp-header": "A"}}}}),
        json!({"anyOf": [{"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}]}),
    ];
    for schema in invalid {
        assert!(invalid_param_header_reason(&schema).is_some(), "{schema}");
        assert!(param_headers_for_call(&schema, &json!({"a": "x"})).is_empty());
        assert_eq!(
            validate_param_headers(&schema, &json!({"a": "x"}), &HeaderMap::new()),
            Ok(())
        );
    }
    assert_eq!(invalid_param_header_reason(&schema()), None);
    // Instance data is not a schema position.
    let with_default =
        json!({"properties": {"a": {"type": "object", "default": {"x-mcp-header": "X"}}}});
    assert_eq!(invalid_param_header_reason(&with_default), None);
}
