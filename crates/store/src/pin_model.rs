//! Pinned tool definitions: what an operator (or first sight) approved for
//! each upstream tool, and a changed definition waiting for approval.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// `pinned`: the approved definition is the one in force. `changed`: a
/// different (or flagged) definition was seen and waits for an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PinStatus {
    Pinned,
    Changed,
}

impl PinStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PinStatus::Pinned => "pinned",
            PinStatus::Changed => "changed",
        }
    }

    pub fn parse(s: &str) -> Option<PinStatus> {
        match s {
            "pinned" => Some(PinStatus::Pinned),
            "changed" => Some(PinStatus::Changed),
            _ => None,
        }
    }
}

/// One upstream tool's pin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolPin {
    pub upstream: String,
    pub tool: String,
    /// `sha256:<hex>` of the approved definition; empty when none was ever
    /// approved (a first definition that was flagged).
    pub hash: String,
    /// The approved definition (`null` when none).
    pub definition: Value,
    pub status: PinStatus,
    pub pending_hash: Option<String>,
    pub pending_definition: Option<Value>,
    /// Why the pending definition is held (changed, or scan findings).
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub changed_at: Option<OffsetDateTime>,
    pub approved_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub approved_at: Option<OffsetDateTime>,
}

/// A tool seen for the first time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewToolPin {
    pub upstream: String,
    pub tool: String,
    pub hash: String,
    pub definition: Value,
    /// `Some(reason)`: hold it (status `changed`, nothing approved yet)
    /// instead of pinning it.
    pub held: Option<String>,
    pub seen_at: OffsetDateTime,
}
