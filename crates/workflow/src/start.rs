//! What an agent sends to start a workflow, in one shape for the admin/agent
//! API body and for MCP (`params._meta["io.behavry/workflow"].start`):
//!
//! ```json
//! {"purpose": "weekly churn report",
//!  "scope": {"tools": ["database.*", "email.send"], "resources": ["*"], "flags": ["outbound"]},
//!  "ttl_secs": 3600, "max_depth": 2, "max_fanout": 4,
//!  "budgets": {"calls": 500, "emails_sent": 3}}
//! ```
//!
//! Everything but `purpose` and `scope` is optional; the deployment's
//! `StartPolicy` supplies defaults and caps, and the starting agent's
//! ceiling clamps the scope when the request is minted.

use crate::authority::{StartRequest, DEFAULT_MAX_DEPTH, DEFAULT_MAX_FANOUT, HARD_MAX_DEPTH};
use crate::budget::BudgetLimits;
use crate::ids::{AgentRef, WorkflowId};
use crate::scope::{Scope, ScopeError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A start request as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartSpec {
    pub purpose: String,
    pub scope: Scope,
    #[serde(default)]
    pub ttl_secs: Option<u64>,
    #[serde(default)]
    pub max_depth: Option<u32>,
    #[serde(default)]
    pub max_fanout: Option<u32>,
    #[serde(default)]
    pub budgets: BudgetLimits,
}

/// Deployment defaults and caps for new workflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartPolicy {
    pub default_ttl_secs: u64,
    pub max_ttl_secs: u64,
    /// Cap on a workflow's `max_depth` (and its default).
    pub max_depth: u32,
    pub default_fanout: u32,
    pub max_fanout: u32,
}

impl Default for StartPolicy {
    fn default() -> Self {
        StartPolicy {
            default_ttl_secs: 3_600,
            max_ttl_secs: 7 * 86_400,
            max_depth: DEFAULT_MAX_DEPTH,
            default_fanout: DEFAULT_MAX_FANOUT,
            max_fanout: 64,
        }
    }
}

/// Why a start request was refused before minting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error("ttl_secs must be between 1 and {max}")]
    Ttl { max: u64 },
    #[error("max_depth must be at most {max}")]
    MaxDepth { max: u32 },
    #[error("max_fanout must be between 1 and {max}")]
    MaxFanout { max: u32 },
}

impl StartSpec {
    /// Apply the deployment's defaults and caps.
    pub fn into_request(
        self,
        workflow: WorkflowId,
        starter: AgentRef,
        ceiling: Scope,
        now: OffsetDateTime,
        policy: &StartPolicy,
    ) -> Result<StartRequest, StartError> {
        self.scope.validate()?;
        let ttl = self.ttl_secs.unwrap_or(policy.default_ttl_secs);
        if ttl == 0 || ttl > policy.max_ttl_secs {
            return Err(StartError::Ttl {
                max: policy.max_ttl_secs,
            });
        }
        let depth_cap = policy.max_depth.min(HARD_MAX_DEPTH);
        let max_depth = self.max_depth.unwrap_or(depth_cap);
        if max_depth > depth_cap {
            return Err(StartError::MaxDepth { max: depth_cap });
        }
        let max_fanout = self.max_fanout.unwrap_or(policy.default_fanout);
        if max_fanout == 0 || max_fanout > policy.max_fanout {
            return Err(StartError::MaxFanout {
                max: policy.max_fanout,
            });
        }
        let ttl = i64::try_from(ttl).map_err(|_| StartError::Ttl {
            max: policy.max_ttl_secs,
        })?;
        Ok(StartRequest {
            workflow,
            purpose: self.purpose,
            starter,
            requested: self.scope,
            ceiling,
            expires: now + time::Duration::seconds(ttl),
            max_depth,
            max_fanout,
            budgets: self.budgets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> StartSpec {
        serde_json::from_str(json).unwrap()
    }

    fn request(spec: StartSpec) -> Result<StartRequest, StartError> {
        spec.into_request(
            WorkflowId::parse("wf_1").unwrap(),
            AgentRef::parse("orchestrator").unwrap(),
            Scope::everything(),
            OffsetDateTime::from_unix_timestamp(1_000).unwrap(),
            &StartPolicy::default(),
        )
    }

    #[test]
    fn defaults_and_caps() {
        let minimal = spec(r#"{"purpose":"p","scope":{"tools":["db.*"]}}"#);
        let r = request(minimal.clone()).unwrap();
        assert_eq!(r.expires.unix_timestamp(), 1_000 + 3_600);
        assert_eq!((r.max_depth, r.max_fanout), (3, 8));
        assert_eq!(r.budgets, BudgetLimits::default());
        let full = spec(
            r#"{"purpose":"p","scope":{"tools":["db.*"]},"ttl_secs":60,"max_depth":1,"max_fanout":2,"budgets":{"calls":5}}"#,
        );
        let r = request(full).unwrap();
        assert_eq!(
            (r.max_depth, r.max_fanout, r.budgets.calls),
            (1, 2, Some(5))
        );
        for (field, value, expected) in [
            ("ttl_secs", 0u64, StartError::Ttl { max: 7 * 86_400 }),
            ("ttl_secs", 8 * 86_400, StartError::Ttl { max: 7 * 86_400 }),
            ("max_depth", 4, StartError::MaxDepth { max: 3 }),
            ("max_fanout", 0, StartError::MaxFanout { max: 64 }),
            ("max_fanout", 65, StartError::MaxFanout { max: 64 }),
        ] {
            let mut value_json: serde_json::Value = serde_json::to_value(&minimal).unwrap();
            value_json[field] = serde_json::json!(value);
            let s: StartSpec = serde_json::from_value(value_json).unwrap();
            assert_eq!(request(s).unwrap_err(), expected, "{field}={value}");
        }
    }

    #[test]
    fn rejects_unknown_fields_and_bad_patterns() {
        for bad in [
            r#"{"purpose":"p","scope":{"tools":["db.*"]},"root":true}"#,
            r#"{"purpose":"p","scope":{"tools":["*.query"]}}"#,
            r#"{"purpose":"p","scope":{"tools":["db.*"]},"budgets":{"tokens":5}}"#,
            r#"{"scope":{"tools":["db.*"]}}"#,
        ] {
            assert!(serde_json::from_str::<StartSpec>(bad).is_err(), "{bad}");
        }
    }
}
