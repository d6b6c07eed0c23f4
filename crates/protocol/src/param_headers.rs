//! `Mcp-Param-*` headers (2026-07-28): a `tools/call` argument whose
//! inputSchema property carries `"x-mcp-header": "<Token>"` is mirrored into
//! the header `Mcp-Param-<Token>`.
//!
//! Rules (mirroring the reference SDK):
//! - an annotation is valid only on a property reachable from the schema root
//!   through a chain of `properties` keys, names an RFC 9110 token, sits on a
//!   `string`/`integer`/`boolean` property, and is unique case-insensitively;
//!   a schema with any invalid annotation declares no headers (conforming
//!   clients drop such tools);
//! - emit: for each annotation whose argument is present and non-null, send
//!   the rendered value (`true`/`false`, numbers in decimal, strings as is)
//!   through the header codec;
//! - validate: header and argument are both present and equal after
//!   decoding, or both absent; integers compare numerically; a duplicated
//!   header is a mismatch. Failures are HEADER_MISMATCH (HTTP 400).

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

use crate::headers::{decode_header_value, encode_header_value, header_value, MCP_PARAM_PREFIX};
use crate::modern::ProtocolError;

const ANNOTATION: &str = "x-mcp-header";
const SUBSCHEMA_SINGLE: &[&str] = &[
    "items",
    "contains",
    "unevaluatedItems",
    "additionalProperties",
    "propertyNames",
    "unevaluatedProperties",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
];
const SUBSCHEMA_LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
const SUBSCHEMA_MAP: &[&str] = &[
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];

/// One schema position: its pure `properties` path (None once any other
/// applicator was crossed) and the schema object.
type Position<'a> = (Option<Vec<&'a str>>, &'a Map<String, Value>);

fn schema_positions(root: &Value) -> Vec<Position<'_>> {
    let mut out = Vec::new();
    let mut stack: Vec<(Option<Vec<&str>>, &Value)> = vec![(Some(Vec::new()), root)];
    while let Some((path, node)) = stack.pop() {
        let Value::Object(schema) = node else {
            continue;
        };
        for (keyword, value) in schema {
            let keyword = keyword.as_str();
            match value {
                Value::Object(props) if keyword == "properties" => {
                    for (name, sub) in props {
                        let sub_path = path.as_ref().map(|p| {
                            let mut p = p.clone();
                            p.push(name.as_str());
                            p
                        });
                        stack.push((sub_path, sub));
                    }
                }
                _ if SUBSCHEMA_SINGLE.contains(&keyword) => stack.push((None, value)),
                Value::Array(items) if SUBSCHEMA_LIST.contains(&keyword) => {
                    stack.extend(items.iter().map(|s| (None, s)));
                }
                Value::Object(map) if SUBSCHEMA_MAP.contains(&keyword) => {
                    stack.extend(map.values().map(|s| (None, s)));
                }
                _ => {}
            }
        }
        out.push((path, schema));
    }
    out
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A declared header: property path, token, property type.
struct Declared<'a> {
    path: Vec<&'a str>,
    token: &'a str,
    kind: &'a str,
}

/// The declared headers of `schema`, or `Err(reason)` when an annotation is invalid.
fn declared_headers(schema: &Value) -> Result<Vec<Declared<'_>>, String> {
    let mut declared: Vec<Declared<'_>> = Vec::new();
    for (path, node) in schema_positions(schema) {
        let Some(annotation) = node.get(ANNOTATION) else {
            continue;
        };
        let path = match path {
            Some(path) if !path.is_empty() => path,
            _ => return Err(format!("{ANNOTATION} outside a pure properties chain")),
        };
        let Value::String(token) = annotation else {
            return Err(format!("{ANNOTATION} must be a string"));
        };
        if !is_token(token) {
            return Err(format!("{ANNOTATION} {token:?} is not a header token"));
        }
        let kind = match node.get("type").and_then(Value::as_str) {
            Some(kind @ ("string" | "integer" | "boolean")) => kind,
            _ => {
                return Err(format!(
                    "{ANNOTATION} {token:?} is on a non-scalar property"
                ))
            }
        };
        if declared.iter().any(|d| d.token.eq_ignore_ascii_case(token)) {
            return Err(format!("{ANNOTATION} {token:?} is declared twice"));
        }
        declared.push(Declared { path, token, kind });
    }
    Ok(declared)
}

/// Why a tool's input schema carries an unusable `x-mcp-header` annotation.
pub fn invalid_param_header_reason(input_schema: &Value) -> Option<String> {
    declared_headers(input_schema).err()
}

fn value_at<'a>(arguments: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut node = arguments;
    for key in path {
        node = node.as_object()?.get(*key)?;
    }
    Some(node).filter(|v| !v.is_null())
}

fn render(value: &Value) -> Option<String> {
    match value {
        Value::Bool(b) => Some(b.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn header_name(token: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(format!("{MCP_PARAM_PREFIX}{token}").as_bytes()).ok()
}

/// The `Mcp-Param-*` headers an outgoing `tools/call` must carry.
pub fn param_headers_for_call(
    input_schema: &Value,
    arguments: &Value,
) -> Vec<(HeaderName, HeaderValue)> {
    let Ok(declared) = declared_headers(input_schema) else {
        return Vec::new();
    };
    declared
        .iter()
        .filter_map(|d| {
            let rendered = render(value_at(arguments, &d.path)?)?;
            let name = header_name(d.token)?;
            Some((name, header_value(&encode_header_value(&rendered))))
        })
        .collect()
}

fn integer_matches(decoded: &str, value: &Value) -> Option<bool> {
    let integral = match value {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e36)
                    .map(|f| f as i128)
            })?,
        _ => return None,
    };
    let unsigned = decoded.strip_prefix('-').unwrap_or(decoded);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let canonical = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (fraction.is_empty() != unsigned.contains('.'))
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if !canonical {
        return None;
    }
    if fraction.bytes().any(|b| b != b'0') {
        return Some(false);
    }
    let whole = whole.parse::<i128>().ok()?;
    let signed = if decoded.starts_with('-') {
        -whole
    } else {
        whole
    };
    Some(signed == integral)
}

/// Checks an inbound `tools/call`'s `Mcp-Param-*` headers against its arguments.
pub fn validate_param_headers(
    input_schema: &Value,
    arguments: &Value,
    headers: &HeaderMap,
) -> Result<(), ProtocolError> {
    let Ok(declared) = declared_headers(input_schema) else {
        return Ok(());
    };
    for d in &declared {
        let shown = format!("Mcp-Param-{}", d.token);
        let argument = d.path.join(".");
        let Some(name) = header_name(d.token) else {
            continue;
        };
        let mut all = headers.get_all(&name).iter();
        let raw = all.next();
        if raw.is_some() && all.next().is_some() {
            return Err(ProtocolError::header_mismatch(format!(
                "{shown} header appears more than once"
            )));
        }
        let value = value_at(arguments, &d.path);
        let rendered = value.and_then(render);
        let (raw, value, rendered) = match (raw, value, rendered) {
            (None, None, _) | (None, Some(_), None) => continue,
            (Some(_), None, _) => {
                return Err(ProtocolError::header_mismatch(format!(
                "{shown} header is present but the request body's '{argument}' argument is absent"
            )))
            }
            (None, Some(_), Some(_)) => {
                return Err(ProtocolError::header_mismatch(format!(
                "{shown} header is missing but the request body's '{argument}' argument is present"
            )))
            }
            (Some(_), Some(_), None) => {
                return Err(ProtocolError::header_mismatch(format!(
                    "{shown} header does not match the request body's '{argument}' argument"
                )))
            }
            (Some(raw), Some(value), Some(rendered)) => (raw, value, rendered),
        };
        let decoded = raw
            .to_str()
            .ok()
            .and_then(decode_header_value)
            .ok_or_else(|| {
                ProtocolError::header_mismatch(format!("{shown} header carries a malformed value"))
            })?;
        let integer = if d.kind == "integer" {
            integer_matches(&decoded, value)
        } else {
            None
        };
        if !integer.unwrap_or(decoded == rendered) {
            return Err(ProtocolError::header_mismatch(format!(
                "{shown} header does not match the request body's '{argument}' argument"
            )));
        }
    }
    Ok(())
}
