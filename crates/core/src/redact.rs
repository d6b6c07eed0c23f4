//! Redaction of call arguments before they are recorded.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How arguments are written to the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedactionMode {
    /// Arguments are recorded as sent.
    Full,
    /// Values under sensitive keys are replaced by `"[REDACTED]"`.
    #[default]
    Redacted,
    /// Arguments are not recorded at all.
    Omit,
}

/// Redaction settings: the mode and the key fragments (case-insensitive)
/// whose values are hidden in `redacted` mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    pub mode: RedactionMode,
    pub keys: Vec<String>,
}

impl Default for Redaction {
    fn default() -> Self {
        Redaction {
            mode: RedactionMode::Redacted,
            keys: [
                "password",
                "passwd",
                "secret",
                "token",
                "api_key",
                "apikey",
                "authorization",
                "credential",
                "private_key",
                "cookie",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }
}

pub const REDACTED: &str = "[REDACTED]";

/// Apply `redaction` to a copy of `arguments`.
pub fn redact_arguments(arguments: &Value, redaction: &Redaction) -> Value {
    match redaction.mode {
        RedactionMode::Full => arguments.clone(),
        RedactionMode::Omit => Value::String("[OMITTED]".to_string()),
        RedactionMode::Redacted => {
            let keys: Vec<String> = redaction.keys.iter().map(|k| k.to_lowercase()).collect();
            redact_value(arguments, &keys)
        }
    }
}

fn redact_value(value: &Value, keys: &[String]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let lower = k.to_lowercase();
                    if keys.iter().any(|frag| lower.contains(frag.as_str())) {
                        (k.clone(), Value::String(REDACTED.to_string()))
                    } else {
                        (k.clone(), redact_value(v, keys))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact_value(v, keys)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_nested_sensitive_keys_case_insensitively() {
        let args = json!({"query": "select 1", "auth": {"API_KEY": "k", "user": "u"}, "list": [{"Password": "p"}]});
        let out = redact_arguments(&args, &Redaction::default());
        assert_eq!(
            out,
            json!({"query": "select 1", "auth": {"API_KEY": REDACTED, "user": "u"}, "list": [{"Password": REDACTED}]})
        );
    }

    #[test]
    fn full_and_omit_modes() {
        let args = json!({"token": "t"});
        let full = Redaction {
            mode: RedactionMode::Full,
            ..Redaction::default()
        };
        assert_eq!(redact_arguments(&args, &full), args);
        let omit = Redaction {
            mode: RedactionMode::Omit,
            ..Redaction::default()
        };
        assert_eq!(redact_arguments(&args, &omit), json!("[OMITTED]"));
    }
}
