//! Verdicts and the reasons that explain them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Deny,
    Intercept,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::Intercept => "intercept",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "allow" => Some(Verdict::Allow),
            "deny" => Some(Verdict::Deny),
            "intercept" => Some(Verdict::Intercept),
            _ => None,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which stage produced a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonSource {
    /// The Rego policy returned it.
    Policy,
    /// A guard outside policy (revoked agent, kill switch, unknown upstream).
    Guard,
    /// Evaluation failed and the call was denied to fail closed.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub source: ReasonSource,
    pub message: String,
}

impl Reason {
    pub fn policy(message: impl Into<String>) -> Self {
        Reason {
            source: ReasonSource::Policy,
            message: message.into(),
        }
    }
    pub fn guard(message: impl Into<String>) -> Self {
        Reason {
            source: ReasonSource::Guard,
            message: message.into(),
        }
    }
    pub fn error(message: impl Into<String>) -> Self {
        Reason {
            source: ReasonSource::Error,
            message: message.into(),
        }
    }
}

/// What a policy evaluation returned, already validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVerdict {
    pub result: Verdict,
    pub reasons: Vec<String>,
}

impl PolicyVerdict {
    /// Validate the JSON that `data.behavry.decision` evaluated to.
    ///
    /// Accepts exactly `{"result": "allow"|"deny"|"intercept", "reasons": [string...]}`
    /// (`reasons` may be absent); anything else is an error so the caller denies.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        let obj = value
            .as_object()
            .ok_or_else(|| format!("decision must be an object, got {}", type_name(value)))?;
        for key in obj.keys() {
            if key != "result" && key != "reasons" {
                return Err(format!("decision has unexpected field `{key}`"));
            }
        }
        let result = match obj.get("result") {
            Some(serde_json::Value::String(s)) => Verdict::parse(s)
                .ok_or_else(|| format!("decision result `{s}` is not allow, deny or intercept"))?,
            Some(other) => {
                return Err(format!(
                    "decision result must be a string, got {}",
                    type_name(other)
                ))
            }
            None => return Err("decision has no `result`".to_string()),
        };
        let reasons = match obj.get("reasons") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    serde_json::Value::String(s) => Ok(s.clone()),
                    other => Err(format!(
                        "decision reasons must be strings, got {}",
                        type_name(other)
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(other) => {
                return Err(format!(
                    "decision reasons must be an array, got {}",
                    type_name(other)
                ))
            }
        };
        Ok(PolicyVerdict { result, reasons })
    }
}

fn type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
