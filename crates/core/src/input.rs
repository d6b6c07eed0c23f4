//! The policy input document: what Rego sees as `input`.
//!
//! Shape (documented in docs/policy.md):
//! `{agent, call, time, request, risk, scan, workflow}`. `risk`, `scan` and
//! `workflow` are `null` until the stages that fill them run.

use crate::{AgentIdentity, ToolCall};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Facts about the request itself, established by the gateway.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestMeta {
    /// Negotiated MCP protocol revision, e.g. `2025-11-25` or `2026-07-28`.
    pub protocol_version: String,
    /// `legacy` (session-based) or `modern` (stateless).
    pub era: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The client's self-description (`clientInfo`); informational, never identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<serde_json::Value>,
    /// The request's `params._meta`, as sent (never used for identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    /// True when the gateway asks whether a tool may be *listed* for the
    /// agent (`tools/list` filtering) rather than deciding an actual call;
    /// `call.arguments` is then `null`. Argument-based deny rules should
    /// not fire while listing.
    #[serde(default)]
    pub listing: bool,
}

/// Calendar facts about the decision time, precomputed so policies need no
/// time built-ins for the common cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeFacts {
    pub rfc3339: String,
    pub unix: i64,
    /// 0..=23, UTC.
    pub hour: u8,
    pub minute: u8,
    /// `monday` .. `sunday`.
    pub weekday: String,
}

impl TimeFacts {
    pub fn from_datetime(now: OffsetDateTime) -> Self {
        let utc = now.to_offset(time::UtcOffset::UTC);
        TimeFacts {
            rfc3339: utc
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            unix: utc.unix_timestamp(),
            hour: utc.hour(),
            minute: utc.minute(),
            weekday: utc.weekday().to_string().to_lowercase(),
        }
    }
}

/// The whole document handed to the policy as `input`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInput {
    pub agent: AgentIdentity,
    pub call: ToolCall,
    pub time: TimeFacts,
    pub request: RequestMeta,
    #[serde(default)]
    pub risk: Option<serde_json::Value>,
    #[serde(default)]
    pub scan: Option<serde_json::Value>,
    #[serde(default)]
    pub workflow: Option<serde_json::Value>,
}

impl PolicyInput {
    pub fn new(
        agent: AgentIdentity,
        call: ToolCall,
        now: OffsetDateTime,
        request: RequestMeta,
    ) -> Self {
        PolicyInput {
            agent,
            call,
            time: TimeFacts::from_datetime(now),
            request,
            risk: None,
            scan: None,
            workflow: None,
        }
    }
}
