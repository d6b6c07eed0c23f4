//! Why a workflow call is denied. Each variant is a distinct reason with a
//! stable code (`code()`), so traces, metrics and tests can tell them apart.
//! Messages never contain token material.

use crate::ids::{AgentRef, RevocationId};
use crate::scope::ScopeViolation;

/// A denial from token verification or the workflow checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowDenial {
    /// Not a workflow token: bad encoding, truncated, unexpected structure,
    /// missing or contradictory facts, third-party blocks.
    #[error("malformed workflow token: {0}")]
    Malformed(String),
    /// A signature in the chain does not verify against the deployment's
    /// root key (forged, tampered or re-ordered blocks).
    #[error("workflow token signature is invalid")]
    BadSignature,
    /// The presenting agent is not the last hop's delegatee.
    #[error(
        "workflow token was delegated to `{delegatee}`, not to the presenting agent `{presenter}`"
    )]
    NotDelegatee {
        presenter: String,
        delegatee: AgentRef,
    },
    /// The earliest expiry along the chain has passed.
    #[error("workflow token expired at unix time {expired_at}")]
    Expired { expired_at: u64 },
    /// A block of the chain (or one it was delegated from) was revoked.
    #[error("workflow delegation at hop {hop} was revoked")]
    Revoked { hop: usize, id: RevocationId },
    /// The whole workflow was stopped by an operator.
    #[error("workflow was stopped by an operator")]
    WorkflowKilled,
    /// More hops than the workflow allows.
    #[error("delegation depth {depth} exceeds the workflow limit of {max}")]
    DepthExceeded { depth: u32, max: u32 },
    /// A hop has more distinct delegatees than allowed, or the workflow has
    /// more distinct agents than allowed.
    #[error("delegation fan-out exceeded: {0}")]
    FanOutExceeded(String),
    /// The call needs a right outside the effective scope.
    #[error("{0}")]
    ScopeExceeded(ScopeViolation),
}

impl WorkflowDenial {
    /// Stable machine-readable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowDenial::Malformed(_) => "workflow_token_malformed",
            WorkflowDenial::BadSignature => "workflow_token_bad_signature",
            WorkflowDenial::NotDelegatee { .. } => "workflow_not_delegatee",
            WorkflowDenial::Expired { .. } => "workflow_token_expired",
            WorkflowDenial::Revoked { .. } => "workflow_token_revoked",
            WorkflowDenial::WorkflowKilled => "workflow_killed",
            WorkflowDenial::DepthExceeded { .. } => "workflow_depth_exceeded",
            WorkflowDenial::FanOutExceeded(_) => "workflow_fanout_exceeded",
            WorkflowDenial::ScopeExceeded(_) => "workflow_scope_exceeded",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let id = RevocationId::from_bytes(&[1; 64]);
        let all = [
            WorkflowDenial::Malformed("x".into()),
            WorkflowDenial::BadSignature,
            WorkflowDenial::NotDelegatee {
                presenter: "a".into(),
                delegatee: AgentRef::parse("b").unwrap(),
            },
            WorkflowDenial::Expired { expired_at: 1 },
            WorkflowDenial::Revoked { hop: 0, id },
            WorkflowDenial::WorkflowKilled,
            WorkflowDenial::DepthExceeded { depth: 4, max: 3 },
            WorkflowDenial::FanOutExceeded("x".into()),
            WorkflowDenial::ScopeExceeded(ScopeViolation::Tool("t".into())),
        ];
        let codes: std::collections::BTreeSet<_> = all.iter().map(WorkflowDenial::code).collect();
        assert_eq!(codes.len(), all.len());
    }
}
