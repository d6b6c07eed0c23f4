//! The call being decided: which MCP method, which upstream, which target.

use serde::{Deserialize, Serialize};

/// The MCP methods that are decided one call at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CallKind {
    #[serde(rename = "tools/call")]
    ToolsCall,
    #[serde(rename = "resources/read")]
    ResourcesRead,
    #[serde(rename = "prompts/get")]
    PromptsGet,
}

impl CallKind {
    pub fn method(self) -> &'static str {
        match self {
            CallKind::ToolsCall => "tools/call",
            CallKind::ResourcesRead => "resources/read",
            CallKind::PromptsGet => "prompts/get",
        }
    }

    pub fn from_method(method: &str) -> Option<Self> {
        match method {
            "tools/call" => Some(CallKind::ToolsCall),
            "resources/read" => Some(CallKind::ResourcesRead),
            "prompts/get" => Some(CallKind::PromptsGet),
            _ => None,
        }
    }
}

/// A decided call after the gateway resolved the aggregated name.
///
/// `tool` holds the upstream's own name for the tool or prompt, or the
/// upstream's own URI for a resource; `upstream` names the configured upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub method: CallKind,
    pub upstream: String,
    pub tool: String,
    #[serde(default)]
    pub arguments: serde_json::Value,
}
