//! Extraction of the call target (what policy decides on) from the
//! parameters of `tools/call`, `prompts/get` and `resources/read`.
//!
//! Invariant: a returned [`CallTarget`] has a non-empty `name` (the tool or
//! prompt name, or the resource URI) and `arguments` that is always a JSON
//! object (`{}` when absent or for `resources/read`).

use serde_json::{Map, Value};

/// What a call targets.
#[derive(Debug, Clone, PartialEq)]
pub struct CallTarget {
    /// Tool name, prompt name, or resource URI.
    pub name: String,
    /// The call's arguments; always an object.
    pub arguments: Value,
    /// `params._meta` when present (always an object).
    pub meta: Option<Value>,
}

/// Why call parameters are unusable; answered with INVALID_PARAMS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The method needs params and has none.
    #[error("{method} requires params")]
    MissingParams { method: &'static str },
    /// `params` is not an object.
    #[error("params must be an object")]
    ParamsNotObject,
    /// A required field is absent or null.
    #[error("params.{field} is required")]
    MissingField { field: &'static str },
    /// A field has the wrong JSON type.
    #[error("params.{field} must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    /// The name or URI is the empty string.
    #[error("params.{field} must not be empty")]
    Empty { field: &'static str },
}

impl TargetError {
    /// The JSON-RPC error code to answer with.
    pub fn code(&self) -> i64 {
        crate::codes::INVALID_PARAMS
    }
}

/// The params key naming a call's target, for the name-bearing methods.
pub fn name_key(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    }
}

/// Extracts the call target of `method`; `Ok(None)` for any other method.
pub fn call_target(
    method: &str,
    params: Option<&Value>,
) -> Result<Option<CallTarget>, TargetError> {
    let (method, key, has_arguments): (&'static str, &'static str, bool) = match method {
        "tools/call" => ("tools/call", "name", true),
        "prompts/get" => ("prompts/get", "name", true),
        "resources/read" => ("resources/read", "uri", false),
        _ => return Ok(None),
    };
    let params = match params {
        None | Some(Value::Null) => return Err(TargetError::MissingParams { method }),
        Some(Value::Object(params)) => params,
        Some(_) => return Err(TargetError::ParamsNotObject),
    };
    let name = match params.get(key) {
        None | Some(Value::Null) => return Err(TargetError::MissingField { field: key }),
        Some(Value::String(name)) if name.is_empty() => {
            return Err(TargetError::Empty { field: key })
        }
        Some(Value::String(name)) => name.clone(),
        Some(_) => {
            return Err(TargetError::WrongType {
                field: key,
                expected: "a string",
            })
        }
    };
    let arguments = if has_arguments {
        match params.get("arguments") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(arguments @ Value::Object(_)) => arguments.clone(),
            Some(_) => {
                return Err(TargetError::WrongType {
                    field: "arguments",
                    expected: "an object",
                })
            }
        }
    } else {
        Value::Object(Map::new())
    };
    let meta = match params.get("_meta") {
        None | Some(Value::Null) => None,
        Some(meta @ Value::Object(_)) => Some(meta.clone()),
        Some(_) => {
            return Err(TargetError::WrongType {
                field: "_meta",
                expected: "an object",
            })
        }
    };
    Ok(Some(CallTarget {
        name,
        arguments,
        meta,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extracts_targets() {
        let cases = [
            (
                "tools/call",
                json!({"name": "files.read", "arguments": {"path": "/a"}, "_meta": {"k": 1}}),
                "files.read",
                json!({"path": "/a"}),
                Some(json!({"k": 1})),
            ),
            ("tools/call", json!({"name": "t"}), "t", json!({}), None),
            (
                "tools/call",
                json!({"name": "t", "arguments": null}),
                "t",
                json!({}),
                None,
            ),
            (
                "prompts/get",
                json!({"name": "p", "arguments": {"x": "y"}}),
                "p",
                json!({"x": "y"}),
                None,
            ),
            (
                "resources/read",
                json!({"uri": "files+file:///a.txt"}),
                "files+file:///a.txt",
                json!({}),
                None,
            ),
        ];
        for (method, params, name, arguments, meta) in cases {
            let target = call_target(method, Some(&params)).unwrap().unwrap();
            assert_eq!(target.name, name);
            assert_eq!(target.arguments, arguments);
            assert_eq!(target.meta, meta);
        }
    }

    #[test]
    fn other_methods_have_no_target() {
        for method in [
            "tools/list",
            "initialize",
            "server/discover",
            "ping",
            "tools/calls",
        ] {
            assert_eq!(call_target(method, Some(&json!({"name": "x"}))), Ok(None));
            assert_eq!(call_target(method, None), Ok(None));
        }
    }

    #[test]
    fn rejects_bad_params() {
        let cases: Vec<(&str, Option<Value>, TargetError)> = vec![
            (
                "tools/call",
                None,
                TargetError::MissingParams {
                    method: "tools/call",
                },
            ),
            (
                "tools/call",
                Some(json!(null)),
                TargetError::MissingParams {
                    method: "tools/call",
                },
            ),
            ("tools/call", Some(json!([1])), TargetError::ParamsNotObject),
            (
                "tools/call",
                Some(json!({})),
                TargetError::MissingField { field: "name" },
            ),
            (
                "tools/call",
                Some(json!({"name": null})),
                TargetError::MissingField { field: "name" },
            ),
            (
                "tools/call",
                Some(json!({"name": 3})),
                TargetError::WrongType {
                    field: "name",
                    expected: "a string",
                },
            ),
            (
                "tools/call",
                Some(json!({"name": ""})),
                TargetError::Empty { field: "name" },
            ),
            (
                "tools/call",
                Some(json!({"name": "t", "arguments": [1]})),
                TargetError::WrongType {
                    field: "arguments",
                    expected: "an object",
                },
            ),
            (
                "tools/call",
                Some(json!({"name": "t", "arguments": "x"})),
                TargetError::WrongType {
                    field: "arguments",
                    expected: "an object",
                },
            ),
            (
                "tools/call",
                Some(json!({"name": "t", "_meta": 1})),
                TargetError::WrongType {
                    field: "_meta",
                    expected: "an object",
                },
            ),
            (
                "resources/read",
                Some(json!({"name": "x"})),
                TargetError::MissingField { field: "uri" },
            ),
            (
                "resources/read",
                Some(json!({"uri": {}})),
                TargetError::WrongType {
                    field: "uri",
                    expected: "a string",
                },
            ),
            (
                "prompts/get",
                Some(json!({"name": "p", "arguments": 1})),
                TargetError::WrongType {
                    field: "arguments",
                    expected: "an object",
                },
            ),
        ];
        for (method, params, expected) in cases {
            assert_eq!(
                call_target(method, params.as_ref()),
                Err(expected.clone()),
                "{method} {params:?}"
            );
            assert_eq!(expected.code(), crate::codes::INVALID_PARAMS);
        }
    }

    #[test]
    fn error_messages_are_readable() {
        let err = TargetError::WrongType {
            field: "arguments",
            expected: "an object",
        };
        assert_eq!(err.to_string(), "params.arguments must be an object");
        assert_eq!(
            TargetError::MissingParams {
                method: "tools/call"
            }
            .to_string(),
            "tools/call requires params"
        );
    }
}
