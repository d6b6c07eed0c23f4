//! Offline delegation: narrowing a workflow token for a sub-agent, with
//! only the token and the deployment's public key — no call to Behavry.
//!
//! The new token is the old one plus one block naming the delegatee, its
//! scope and its expiry. Verification intersects every hop, so a block can
//! never add a right; this function refuses a request that would try
//! (it would silently grant nothing), clamps the expiry to the chain's, and
//! refuses to exceed the workflow's depth limit, so an agent learns about
//! a useless delegation when it makes it rather than on the sub-agent's
//! first call.

use crate::chain::{read_chain, ChainInfo};
use crate::denial::WorkflowDenial;
use crate::format::{HopRecord, TOKEN_FORMAT};
use crate::ids::AgentRef;
use crate::scope::Scope;
use crate::verify::default_run_limits;
use biscuit_auth::PublicKey;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// What to delegate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// The sub-agent's id, as Behavry knows it.
    pub to: AgentRef,
    /// Must be within the token's effective scope.
    pub scope: Scope,
    /// Clamped to the token's own expiry.
    pub expires: OffsetDateTime,
    /// Seal the result so that the sub-agent cannot delegate further.
    pub seal: bool,
}

/// Why a delegation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelegateError {
    #[error("the token cannot be used: {0}")]
    Token(WorkflowDenial),
    #[error("the token expired at unix time {0}")]
    Expired(u64),
    #[error("the workflow allows at most {max} delegations")]
    DepthLimit { max: u32 },
    #[error("the requested scope is wider than the token's: {0}")]
    Widens(String),
    #[error("the requested scope grants nothing")]
    EmptyScope,
    #[error("the expiry must be in the future")]
    Expiry,
    #[error("the token is sealed and cannot be delegated further")]
    Sealed,
    #[error("cannot build the delegated token: {0}")]
    Build(String),
}

/// A delegated token.
#[derive(Clone, PartialEq, Eq)]
pub struct Delegated {
    /// The new token (base64url), a secret for its delegatee.
    pub token: Zeroizing<String>,
    /// Unix seconds, after clamping to the chain.
    pub expires: u64,
    /// Delegations after the root, including this one.
    pub depth: u32,
}

impl std::fmt::Debug for Delegated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delegated")
            .field("expires", &self.expires)
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

/// Read a token's chain without a presenter (what the holder can see).
pub fn inspect(token: &str, public_key: PublicKey) -> Result<ChainInfo, WorkflowDenial> {
    read_chain(token, public_key, &default_run_limits()).map(|parsed| (*parsed.info).clone())
}

/// Append a delegation block to `token`.
pub fn attenuate(
    token: &str,
    public_key: PublicKey,
    delegation: &Delegation,
    now: OffsetDateTime,
) -> Result<Delegated, DelegateError> {
    let parsed =
        read_chain(token, public_key, &default_run_limits()).map_err(DelegateError::Token)?;
    let info = &parsed.info;
    let now_secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    if now_secs > info.expires {
        return Err(DelegateError::Expired(info.expires));
    }
    if info.depth >= info.max_depth {
        return Err(DelegateError::DepthLimit {
            max: info.max_depth,
        });
    }
    if delegation.scope.tools.is_empty() {
        return Err(DelegateError::EmptyScope);
    }
    if !delegation.scope.is_subset_of(&info.effective_scope) {
        let granted = delegation.scope.intersect(&info.effective_scope);
        return Err(DelegateError::Widens(describe_excess(
            &delegation.scope,
            &granted,
        )));
    }
    let requested =
        u64::try_from(delegation.expires.unix_timestamp()).map_err(|_| DelegateError::Expiry)?;
    if requested <= now_secs {
        return Err(DelegateError::Expiry);
    }
    let expires = requested.min(info.expires);
    let record = HopRecord {
        v: TOKEN_FORMAT,
        to: delegation.to.clone(),
        exp: expires,
        scope: delegation.scope.clone(),
    };
    let block = record
        .to_block()
        .map_err(|e| DelegateError::Build(e.to_string()))?;
    let appended = parsed.biscuit.append(block).map_err(|e| match e {
        biscuit_auth::error::Token::AppendOnSealed | biscuit_auth::error::Token::AlreadySealed => {
            DelegateError::Sealed
        }
        other => DelegateError::Build(other.to_string()),
    })?;
    let appended = if delegation.seal {
        appended
            .seal()
            .map_err(|e| DelegateError::Build(e.to_string()))?
    } else {
        appended
    };
    let token = appended
        .to_base64()
        .map_err(|e| DelegateError::Build(e.to_string()))?;
    Ok(Delegated {
        token: Zeroizing::new(token),
        expires,
        depth: info.depth + 1,
    })
}

fn describe_excess(requested: &Scope, granted: &Scope) -> String {
    let mut extra: Vec<String> = Vec::new();
    extra.extend(
        requested
            .tools
            .iter()
            .filter(|p| !granted.tools.iter().any(|g| g == *p))
            .map(|p| format!("tool {p}")),
    );
    extra.extend(
        requested
            .resources
            .iter()
            .filter(|p| !granted.resources.iter().any(|g| g == *p))
            .map(|p| format!("resource {p}")),
    );
    extra.extend(
        requested
            .flags
            .difference(&granted.flags)
            .map(|f| format!("flag {f}")),
    );
    extra.join(", ")
}
