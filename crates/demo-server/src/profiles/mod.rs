//! The three demo profiles and what they share: tool outcomes, argument
//! helpers and the profile switch the dispatcher talks to.
//!
//! Invariant: a tool's own failure (bad SQL, a missing file, a refused path)
//! is a tool result with `isError: true`; a request the tool cannot even
//! start on (unknown tool, missing or mistyped argument) is a JSON-RPC
//! invalid-params error.

pub mod database;
pub mod email;
pub mod files;
pub mod sandbox;

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::rpc::RpcError;

/// Which demo server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileKind {
    Database,
    Files,
    Email,
}

impl ProfileKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Database => "database",
            Self::Files => "files",
            Self::Email => "email",
        }
    }
}

/// A started profile holding its state.
pub enum Profile {
    Database(database::Database),
    Files(files::Files),
    Email(email::Email),
}

/// What a tool call produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    pub text: String,
    pub structured: Option<Value>,
    pub is_error: bool,
}

impl ToolOutput {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            structured: None,
            is_error: false,
        }
    }

    /// Text content with the pretty JSON of `value`, plus the same value as
    /// structured content.
    pub fn structured(value: Value) -> Self {
        Self {
            text: serde_json::to_string_pretty(&value).unwrap_or_default(),
            structured: Some(value),
            is_error: false,
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            structured: None,
            is_error: true,
        }
    }

    pub fn into_result(self) -> Value {
        let mut result = json!({
            "content": [{ "type": "text", "text": self.text }],
            "isError": self.is_error,
        });
        if let (Some(structured), Some(object)) = (self.structured, result.as_object_mut()) {
            object.insert("structuredContent".to_owned(), structured);
        }
        result
    }
}

impl Profile {
    pub async fn start(kind: ProfileKind, data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        Ok(match kind {
            ProfileKind::Database => Self::Database(database::Database::open(data_dir).await?),
            ProfileKind::Files => Self::Files(files::Files::open(data_dir)?),
            ProfileKind::Email => Self::Email(email::Email::open(data_dir)),
        })
    }

    pub fn kind(&self) -> ProfileKind {
        match self {
            Self::Database(_) => ProfileKind::Database,
            Self::Files(_) => ProfileKind::Files,
            Self::Email(_) => ProfileKind::Email,
        }
    }

    pub fn capabilities(&self) -> Value {
        match self {
            Self::Files(_) => json!({
                "tools": { "listChanged": false },
                "resources": { "subscribe": false, "listChanged": false },
                "prompts": { "listChanged": false },
            }),
            Self::Database(_) | Self::Email(_) => json!({ "tools": { "listChanged": false } }),
        }
    }

    pub fn instructions(&self) -> &'static str {
        match self {
            Self::Database(_) => "A sample shop database (customers, orders, products). Use list_tables, describe_table and query.",
            Self::Files(_) => "A sandboxed folder of text files. Use list, read and write with paths relative to the sandbox.",
            Self::Email(_) => "An outbound mail relay. send queues a message in the outbox; list_outbox shows what was sent.",
        }
    }

    pub fn tools(&self) -> Value {
        match self {
            Self::Database(_) => database::tool_definitions(),
            Self::Files(_) => files::tool_definitions(),
            Self::Email(_) => email::tool_definitions(),
        }
    }

    pub fn has_resources_and_prompts(&self) -> bool {
        matches!(self, Self::Files(_))
    }

    pub async fn call_tool(
        &self,
        name: &str,
        arguments: &Map<String, Value>,
    ) -> Result<ToolOutput, RpcError> {
        match self {
            Self::Database(database) => database.call(name, arguments).await,
            Self::Files(files) => files.call(name, arguments).await,
            Self::Email(email) => email.call(name, arguments).await,
        }
    }

    pub fn files(&self) -> Option<&files::Files> {
        match self {
            Self::Files(files) => Some(files),
            _ => None,
        }
    }
}

/// A required string argument.
pub fn required_str<'a>(arguments: &'a Map<String, Value>, key: &str) -> Result<&'a str, RpcError> {
    match arguments.get(key) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(RpcError::invalid_params(format!(
            "argument '{key}' must be a string"
        ))),
        None => Err(RpcError::invalid_params(format!(
            "missing required argument '{key}'"
        ))),
    }
}

/// An optional string argument (absent or null reads as `None`).
pub fn optional_str<'a>(
    arguments: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, RpcError> {
    match arguments.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(RpcError::invalid_params(format!(
            "argument '{key}' must be a string"
        ))),
    }
}

pub fn unknown_tool(name: &str) -> RpcError {
    RpcError::invalid_params(format!("unknown tool: {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_output_shapes_results() {
        let ok = ToolOutput::structured(json!({"a": 1})).into_result();
        assert_eq!(ok["isError"], json!(false));
        assert_eq!(ok["structuredContent"], json!({"a": 1}));
        assert_eq!(ok["content"][0]["type"], json!("text"));
        let failed = ToolOutput::error("boom").into_result();
        assert_eq!(failed["isError"], json!(true));
        assert!(failed.get("structuredContent").is_none());
    }

    #[test]
    fn argument_helpers_reject_wrong_types() {
        let arguments = json!({"s": "x", "n": 1, "z": null});
        let arguments = arguments.as_object().unwrap();
        assert_eq!(required_str(arguments, "s"), Ok("x"));
        assert!(required_str(arguments, "n").is_err());
        assert!(required_str(arguments, "missing").is_err());
        assert_eq!(optional_str(arguments, "z"), Ok(None));
        assert!(optional_str(arguments, "n").is_err());
    }
}
