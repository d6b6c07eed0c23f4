//! The decision step: guards first, then the policy, and deny on anything
//! that is not a well-formed verdict.

use crate::{PolicyInput, PolicyVerdict, Reason, Verdict};
use serde::{Deserialize, Serialize};

/// Identifier of one decision (UUID v7 text, minted by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DecisionId(pub String);

impl std::fmt::Display for DecisionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a policy could not produce a verdict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("policy decision is undefined for this input")]
    Undefined,
    #[error("policy evaluation failed: {0}")]
    Failed(String),
    #[error("policy evaluation exceeded its time limit")]
    Timeout,
    #[error("policy returned a malformed decision: {0}")]
    Malformed(String),
    #[error("no policy is loaded")]
    NoPolicy,
}

/// Something that evaluates the policy for one input.
pub trait Evaluate {
    fn evaluate(&mut self, input: &PolicyInput) -> Result<PolicyVerdict, EvalError>;
    /// Identifies the active policy set (content hash), recorded with each decision.
    fn revision(&self) -> &str;
}

/// Conditions checked before policy; any one of them denies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guards {
    /// Set when an operator has stopped this agent, workflow or everything.
    pub kill_switch: Option<String>,
}

/// The outcome of `decide`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: DecisionId,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    pub policy_revision: String,
}

/// Decide one call. Pure: the same inputs give the same decision.
pub fn decide(
    id: DecisionId,
    input: &PolicyInput,
    guards: &Guards,
    policy: &mut dyn Evaluate,
) -> Decision {
    let policy_revision = policy.revision().to_string();
    if let Some(why) = &guards.kill_switch {
        return Decision {
            id,
            verdict: Verdict::Deny,
            reasons: vec![Reason::guard(format!("kill switch engaged: {why}"))],
            policy_revision,
        };
    }
    match policy.evaluate(input) {
        Ok(PolicyVerdict { result, reasons }) => {
            let mut reasons: Vec<Reason> = reasons.into_iter().map(Reason::policy).collect();
            if reasons.is_empty() && result != Verdict::Allow {
                reasons.push(Reason::policy(format!(
                    "policy returned {result} without a reason"
                )));
            }
            Decision {
                id,
                verdict: result,
                reasons,
                policy_revision,
            }
        }
        Err(err) => Decision {
            id,
            verdict: Verdict::Deny,
            reasons: vec![Reason::error(err.to_string())],
            policy_revision,
        },
    }
}
