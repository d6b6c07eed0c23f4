//! Reading a workflow token into its delegation chain: signatures verified
//! against the root public key, the authority facts read with authorizer
//! queries, each delegation block's hop record parsed, and the effective
//! scope computed as the intersection of every hop.
//!
//! Everything here depends only on the token bytes and the public key, so
//! the result can be cached by token hash; what depends on the presenter,
//! the time and the revocation list is checked per call in `verify`.

use crate::budget::BudgetLimits;
use crate::denial::WorkflowDenial;
use crate::format::{delegation_block_source, malformed, HopRecord, RootFacts};
use crate::ids::{AgentRef, RevocationId, WorkflowId};
use crate::scope::Scope;
use crate::verify::map_biscuit_error;
use biscuit_auth::datalog::RunLimits;
use biscuit_auth::{AuthorizerBuilder, Biscuit, PublicKey};
use serde::Serialize;
use std::sync::Arc;

/// One hop of a delegation chain: who it names and what it grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// The agent this hop delegates to (hop 0: the agent that started the workflow).
    pub delegatee: AgentRef,
    /// The scope this hop states; the chain grants only the intersection.
    pub scope: Scope,
    /// Unix seconds.
    pub expires: u64,
    /// Revoking it invalidates this hop and everything delegated from it.
    pub revocation_id: RevocationId,
}

/// A token's chain, read and signature-checked.
#[derive(Debug, Clone)]
pub struct ChainInfo {
    pub workflow_id: WorkflowId,
    pub purpose: String,
    /// Hop 0 is the root; the last hop names the agent that may present it.
    pub chain: Vec<Hop>,
    /// Intersection of every hop's scope.
    pub effective_scope: Scope,
    /// The last hop's delegatee: the only agent that may present the token.
    pub delegatee: AgentRef,
    /// Number of delegations after the root (`chain.len() - 1`).
    pub depth: u32,
    /// Earliest expiry along the chain, unix seconds.
    pub expires: u64,
    /// The workflow's own depth limit (from the root token).
    pub max_depth: u32,
    /// The workflow's limit of distinct delegatees per hop.
    pub max_fanout: u32,
    /// The workflow's shared budget limits (from the root token).
    pub budgets: BudgetLimits,
    /// When the workflow itself ends (the root token's expiry).
    pub root_expires: u64,
}

impl ChainInfo {
    /// The revocation id of each hop, in order.
    pub fn revocation_ids(&self) -> impl Iterator<Item = &RevocationId> {
        self.chain.iter().map(|hop| &hop.revocation_id)
    }
}

/// A token whose signatures verified, ready for the per-call checks.
#[derive(Debug, Clone)]
pub(crate) struct ParsedToken {
    pub biscuit: Biscuit,
    pub info: Arc<ChainInfo>,
}

/// Decode `token` (base64url), verify its signature chain and read every hop.
pub(crate) fn read_chain(
    token: &str,
    public_key: PublicKey,
    limits: &RunLimits,
) -> Result<ParsedToken, WorkflowDenial> {
    let biscuit =
        Biscuit::from_base64(token.trim(), public_key).map_err(|e| map_biscuit_error(&e))?;
    if biscuit.external_public_keys().iter().any(Option::is_some) {
        return Err(malformed(
            "third-party blocks are not part of the workflow format",
        ));
    }
    let revocation_ids: Vec<RevocationId> = biscuit
        .revocation_identifiers()
        .iter()
        .map(|id| RevocationId::from_bytes(id))
        .collect();
    let contexts = biscuit.context();
    if revocation_ids.len() != biscuit.block_count() || contexts.len() != biscuit.block_count() {
        return Err(malformed("block count mismatch"));
    }
    let mut ids = revocation_ids.into_iter();
    let root_id = ids.next().ok_or_else(|| malformed("no authority block"))?;
    // Delegation blocks first: nothing of theirs reaches the Datalog engine
    // unless each is exactly a hop record and its expiry check.
    let mut hops = Vec::with_capacity(contexts.len().saturating_sub(1));
    for (index, (context, revocation_id)) in contexts.iter().skip(1).zip(ids).enumerate() {
        let hop = index + 1;
        let record = HopRecord::parse(hop, context.as_deref())?;
        let source = biscuit
            .print_block_source(hop)
            .map_err(|e| map_biscuit_error(&e))?;
        if source != delegation_block_source(record.exp)? {
            return Err(malformed(format!(
                "hop {hop} holds more than its hop record and expiry check"
            )));
        }
        hops.push(Hop {
            delegatee: record.to,
            scope: record.scope,
            expires: record.exp,
            revocation_id,
        });
    }
    let mut authorizer = AuthorizerBuilder::new()
        .set_limits(limits.clone())
        .build(&biscuit)
        .map_err(|e| map_biscuit_error(&e))?;
    let root = RootFacts::read(&mut authorizer)?;
    let budgets = root.budgets;
    let root_expires = root.expires;
    let mut chain = vec![Hop {
        delegatee: root.delegatee,
        scope: root.scope,
        expires: root.expires,
        revocation_id: root_id,
    }];
    chain.extend(hops);
    let mut effective_scope = chain[0].scope.clone();
    let mut expires = chain[0].expires;
    for hop in &chain[1..] {
        effective_scope = effective_scope.intersect(&hop.scope);
        expires = expires.min(hop.expires);
    }
    let depth = u32::try_from(chain.len() - 1).map_err(|_| malformed("too many blocks"))?;
    let delegatee = chain[chain.len() - 1].delegatee.clone();
    Ok(ParsedToken {
        info: Arc::new(ChainInfo {
            workflow_id: root.workflow,
            purpose: root.purpose,
            chain,
            effective_scope,
            delegatee,
            depth,
            expires,
            max_depth: root.max_depth,
            max_fanout: root.max_fanout,
            budgets,
            root_expires,
        }),
        biscuit,
    })
}
