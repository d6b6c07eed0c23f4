//! Workflows Behavry started, revoked delegation blocks, and the shared
//! ledger documents. The store keeps ledgers as opaque JSON: what they
//! contain and how a charge changes them is the workflow crate's business.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// A workflow as started (its token is never stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRecord {
    pub id: String,
    pub purpose: String,
    /// Name of the agent that started it.
    pub started_by: String,
    /// The granted scope (`{tools, resources, flags}`).
    pub scope: Value,
    /// The budget limits signed into the root token.
    pub budgets: Value,
    pub max_depth: u32,
    /// Revoking this id stops the whole workflow.
    pub root_revocation_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A revoked delegation block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevocationRecord {
    pub revocation_id: String,
    /// The workflow the block belongs to, when known.
    pub workflow_id: Option<String>,
    pub operator: String,
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub revoked_at: OffsetDateTime,
}

/// A revocation to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRevocation {
    pub revocation_id: String,
    pub workflow_id: Option<String>,
    pub operator: String,
    pub reason: Option<String>,
}

/// Computes a ledger's next state from its current one (`None`: the
/// workflow has no ledger yet). `Ok(next)` is written; `Err(refusal)`
/// writes nothing and is handed back to the caller. It may run more than
/// once (a backend retries after a write conflict), so it must be pure.
pub type LedgerUpdate<'a> = &'a (dyn Fn(Option<&str>) -> Result<String, String> + Send + Sync);
