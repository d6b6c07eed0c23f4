//! The deployment's workflow authority: the Ed25519 root key pair that signs
//! every workflow root token, and minting those tokens.
//!
//! Invariants: a root token's scope is the requested scope intersected with
//! the starting agent's ceiling, so it never exceeds what that agent may do
//! itself; the private key never appears in `Debug` output and leaves this
//! type only through `private_key_text`, for encrypted storage.

use crate::budget::BudgetLimits;
use crate::format::{RootFacts, MAX_PURPOSE_LEN};
use crate::ids::{AgentRef, RevocationId, WorkflowId};
use crate::scope::Scope;
use biscuit_auth::builder::Algorithm;
use biscuit_auth::{KeyPair, PrivateKey, PublicKey};
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// Deepest delegation chain a workflow may ever be started with.
pub const HARD_MAX_DEPTH: u32 = 16;
/// Default delegation depth limit.
pub const DEFAULT_MAX_DEPTH: u32 = 3;
/// Default number of distinct delegatees per hop.
pub const DEFAULT_MAX_FANOUT: u32 = 8;

/// Why a root token could not be minted or a key loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    #[error("purpose must be 1-{MAX_PURPOSE_LEN} characters without control characters")]
    Purpose,
    #[error("the workflow must expire after it starts")]
    Expiry,
    #[error("max_depth must be at most {HARD_MAX_DEPTH}")]
    MaxDepth,
    #[error("max_fanout must be at least 1")]
    MaxFanout,
    #[error("the requested scope has nothing in common with the agent's own permissions")]
    EmptyScope,
    #[error("invalid workflow root key: {0}")]
    Key(String),
    #[error("cannot build the token: {0}")]
    Token(String),
}

/// What an agent asks for when it starts a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRequest {
    pub workflow: WorkflowId,
    pub purpose: String,
    /// The starting agent (from its credential); the root token's delegatee.
    pub starter: AgentRef,
    /// The scope the workflow needs.
    pub requested: Scope,
    /// The starting agent's own permissions: the root scope never exceeds it.
    pub ceiling: Scope,
    pub expires: OffsetDateTime,
    pub max_depth: u32,
    pub max_fanout: u32,
    /// Budgets shared by every agent of the workflow.
    pub budgets: BudgetLimits,
}

/// A minted root token.
#[derive(Clone, PartialEq, Eq)]
pub struct RootToken {
    /// The token (base64url), a secret for its delegatee.
    pub token: Zeroizing<String>,
    pub workflow: WorkflowId,
    /// The granted scope: requested ∩ ceiling.
    pub scope: Scope,
    /// True when the ceiling removed something that was requested.
    pub clamped: bool,
    /// Unix seconds.
    pub expires: u64,
    /// Revoking this id stops every token of the workflow.
    pub revocation_id: RevocationId,
}

impl fmt::Debug for RootToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootToken")
            .field("workflow", &self.workflow)
            .field("scope", &self.scope)
            .field("clamped", &self.clamped)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// Holds the root key pair.
pub struct WorkflowAuthority {
    keypair: KeyPair,
}

impl fmt::Debug for WorkflowAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkflowAuthority")
            .field("public_key", &self.public_key_text())
            .finish_non_exhaustive()
    }
}

impl WorkflowAuthority {
    /// A new random Ed25519 root key pair.
    pub fn generate() -> Self {
        WorkflowAuthority {
            keypair: KeyPair::new_with_algorithm(Algorithm::Ed25519),
        }
    }

    /// Load from the text `private_key_text` produced (`ed25519-private/<hex>`).
    pub fn from_private_key_text(text: &str) -> Result<Self, MintError> {
        let private =
            PrivateKey::from_str(text.trim()).map_err(|e| MintError::Key(e.to_string()))?;
        if !matches!(private, PrivateKey::Ed25519(_)) {
            return Err(MintError::Key("the root key must be Ed25519".into()));
        }
        Ok(WorkflowAuthority {
            keypair: KeyPair::from(&private),
        })
    }

    /// The private key as text, for encrypted storage; zeroed when dropped.
    pub fn private_key_text(&self) -> Zeroizing<String> {
        Zeroizing::new(self.keypair.private().to_prefixed_string())
    }

    /// The public key, which every verifier and delegating agent needs.
    pub fn public_key(&self) -> PublicKey {
        self.keypair.public()
    }

    /// The public key as text (`ed25519/<hex>`), for agents and the CLI.
    pub fn public_key_text(&self) -> String {
        self.keypair.public().to_string()
    }

    /// Mint the root token of a new workflow, clamped to the ceiling.
    pub fn mint(
        &self,
        request: &StartRequest,
        now: OffsetDateTime,
    ) -> Result<RootToken, MintError> {
        let purpose = request.purpose.trim();
        if purpose.is_empty()
            || purpose.chars().count() > MAX_PURPOSE_LEN
            || purpose.chars().any(char::is_control)
        {
            return Err(MintError::Purpose);
        }
        if request.expires <= now {
            return Err(MintError::Expiry);
        }
        let expires =
            u64::try_from(request.expires.unix_timestamp()).map_err(|_| MintError::Expiry)?;
        if request.max_depth > HARD_MAX_DEPTH {
            return Err(MintError::MaxDepth);
        }
        if request.max_fanout == 0 {
            return Err(MintError::MaxFanout);
        }
        let scope = request.requested.intersect(&request.ceiling);
        if scope.tools.is_empty() {
            return Err(MintError::EmptyScope);
        }
        let clamped = !request.requested.is_subset_of(&scope);
        let facts = RootFacts {
            workflow: request.workflow.clone(),
            purpose: purpose.to_string(),
            delegatee: request.starter.clone(),
            expires,
            max_depth: request.max_depth,
            max_fanout: request.max_fanout,
            scope: scope.clone(),
            budgets: request.budgets,
        };
        let biscuit = facts
            .to_builder()
            .and_then(|b| b.build(&self.keypair))
            .map_err(|e| MintError::Token(e.to_string()))?;
        let token = biscuit
            .to_base64()
            .map_err(|e| MintError::Token(e.to_string()))?;
        let revocation_id = biscuit
            .revocation_identifiers()
            .first()
            .map(|id| RevocationId::from_bytes(id))
            .ok_or_else(|| MintError::Token("no revocation id".into()))?;
        Ok(RootToken {
            token: Zeroizing::new(token),
            workflow: request.workflow.clone(),
            scope,
            clamped,
            expires,
            revocation_id,
        })
    }
}
