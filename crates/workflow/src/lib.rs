//! Multi-agent workflows: delegation tokens with scope ceilings, depth and
//! fan-out limits, budgets shared by every agent of a workflow, the
//! cross-agent flow rule, and the trace context that ties a pipeline's
//! decisions together.
//!
//! Pure: no network, no files, no clock (every function that needs the time
//! takes it). The gateway owns the root key, the revocation list and the
//! ledgers' storage; this crate defines them and decides.
//!
//! - `WorkflowAuthority::mint` issues a workflow's root token (Biscuit,
//!   Ed25519), its scope clamped to the starting agent's ceiling.
//! - `attenuate` narrows a token offline for a sub-agent (one appended block).
//! - `TokenVerifier::verify` checks a presented token on every call:
//!   signature chain, presenter = last delegatee, expiry, revocation, depth;
//!   `VerifiedChain::check_call` checks the call
//!   against the intersection of every hop's scope.
//! - `BudgetStore::admit` / `record` charge the shared budgets and register
//!   fan-out atomically; `FlowTracker` raises the sensitive-read → send alert.
//! - `WorkflowContext::to_policy_value` builds `input.workflow`.

mod attenuate;
mod authority;
mod budget;
mod cache;
mod carrier;
mod chain;
mod context;
mod denial;
mod fanout;
mod flow;
mod format;
mod ids;
mod pattern;
mod revocation;
mod scope;
mod start;
mod store;
mod traceparent;
mod verify;

pub use attenuate::{attenuate, inspect, DelegateError, Delegated, Delegation};
pub use authority::{
    MintError, RootToken, StartRequest, WorkflowAuthority, DEFAULT_MAX_DEPTH, DEFAULT_MAX_FANOUT,
    HARD_MAX_DEPTH,
};
pub use biscuit_auth::datalog::RunLimits;
pub use biscuit_auth::PublicKey;
pub use budget::{
    BudgetExceeded, BudgetLedger, BudgetLimits, BudgetState, Charge, Counter, Counts,
};
pub use carrier::{
    check_claimed_id, extract, extract_traceparent, prepare_upstream_meta, started_meta,
    CarrierError, WorkflowCarrier, WorkflowRequest, META_KEY, TOKEN_HEADER, TRACEPARENT,
    WORKFLOW_ID_HEADER,
};
pub use chain::{ChainInfo, Hop};
pub use context::{causal_depth, check_causal_depth, ParentDecision, WorkflowContext};
pub use denial::WorkflowDenial;
pub use fanout::{FanoutExceeded, FanoutLedger, FanoutLimits};
pub use flow::{FlowAlert, FlowMode, FlowRule, FlowTracker, SensitiveRead};
pub use format::{MAX_PURPOSE_LEN, TOKEN_FORMAT};
pub use ids::{AgentRef, IdError, RevocationId, WorkflowId};
pub use pattern::{Pattern, PatternError, PatternSet};
pub use revocation::{NoRevocations, RevocationCheck, RevocationSet};
pub use scope::{CallTarget, Flag, Scope, ScopeError, ScopeViolation};
pub use start::{StartError, StartPolicy, StartSpec};
pub use store::{BudgetStore, LedgerError, MemoryBudgetStore, WorkflowBudget, WorkflowLedger};
pub use traceparent::{TraceParent, TraceParentError};
pub use verify::{
    default_run_limits, verify, TokenVerifier, VerifiedChain, VerifierConfig, DEFAULT_MAX_TOKEN_LEN,
};

/// Parse a public key as printed by `WorkflowAuthority::public_key_text`
/// (`ed25519/<hex>`).
pub fn parse_public_key(text: &str) -> Result<PublicKey, String> {
    text.trim().parse::<PublicKey>().map_err(|e| e.to_string())
}
