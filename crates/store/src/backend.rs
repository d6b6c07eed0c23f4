//! The storage contract every backend implements. Callers use it through
//! [`crate::Store`]; each method's semantics are pinned by the shared
//! `conformance` suite so all backends behave the same.

use crate::{AgentRecord, ApprovalRecord, ApprovalStatus, NewAgent, NewApproval, StoreError};
use behavry_core::{DecisionId, TraceEvent};
use time::OffsetDateTime;

#[async_trait::async_trait]
pub trait StoreBackend: Send + Sync {
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;

    // ----- agents -----

    /// Register an agent. A name already in use (even by a revoked agent) or
    /// a credential hash already in use is a `Conflict`; a hash that is not
    /// 64 lowercase hex digits is `Invalid`.
    async fn create_agent(&self, agent: NewAgent) -> Result<AgentRecord, StoreError>;
    /// All agents, revoked ones included, ordered by name.
    async fn list_agents(&self) -> Result<Vec<AgentRecord>, StoreError>;
    async fn get_agent_by_name(&self, name: &str) -> Result<Option<AgentRecord>, StoreError>;
    async fn get_agent_by_id(&self, id: &str) -> Result<Option<AgentRecord>, StoreError>;
    /// The agent holding this credential hash, revoked or not; callers must
    /// still check `revoked_at`.
    async fn get_agent_by_credential_hash(
        &self,
        credential_hash: &str,
    ) -> Result<Option<AgentRecord>, StoreError>;
    /// Mark the agent revoked. Idempotent: revoking again keeps the first
    /// `revoked_at`. `NotFound` if no agent has this name.
    async fn revoke_agent(&self, name: &str) -> Result<AgentRecord, StoreError>;
    /// Replace the agent's credential hash. `NotFound` if absent, `Conflict`
    /// if the agent is revoked (rotation never reactivates an agent).
    async fn rotate_credential(
        &self,
        name: &str,
        new_credential_hash: &str,
    ) -> Result<AgentRecord, StoreError>;

    // ----- settings -----

    async fn get_setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Insert or replace.
    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;

    // ----- approvals -----

    /// Store a new `Pending` approval with a fresh UUID v4 id.
    async fn create_approval(&self, approval: NewApproval) -> Result<ApprovalRecord, StoreError>;
    async fn get_approval(&self, id: &str) -> Result<Option<ApprovalRecord>, StoreError>;
    /// Newest first (by `created_at`), optionally only one status, at most `limit`.
    async fn list_approvals(
        &self,
        status: Option<ApprovalStatus>,
        limit: u32,
    ) -> Result<Vec<ApprovalRecord>, StoreError>;
    /// Atomically move a `Pending` approval to `new_status` (`Approved`,
    /// `Rejected` or `Expired`), stamping `decided_at` with the current time.
    ///
    /// - unknown id: `NotFound`;
    /// - already decided: `Conflict("approval <id> is already <status>")`;
    /// - approving after `expires_at`: `Conflict("approval <id> has expired")`
    ///   (fail closed; the row stays pending until expired);
    /// - `new_status == Pending`: `Invalid`.
    async fn resolve_approval(
        &self,
        id: &str,
        new_status: ApprovalStatus,
        operator: Option<&str>,
        reason: Option<&str>,
    ) -> Result<ApprovalRecord, StoreError>;
    /// Expire every pending approval with `expires_at <= now` and return them.
    async fn expire_due_approvals(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<ApprovalRecord>, StoreError>;

    // ----- decision trace -----

    /// Append one event; returns its sequence number once it is durably
    /// committed. An error means the event may not be recorded and the
    /// caller must fail closed.
    async fn append_trace(&self, event: &TraceEvent) -> Result<u64, StoreError>;
    /// Append an event that nothing waits on (a call's outcome): it is queued
    /// and committed together with the next durable append, or on its own
    /// after a short delay. `Ok` means queued, not committed; a failed commit
    /// is logged by the backend. Decisions must use `append_trace`.
    async fn append_trace_deferred(&self, event: &TraceEvent) -> Result<(), StoreError> {
        self.append_trace(event).await.map(|_| ())
    }
    /// Events in ascending sequence order: those after `after_seq` (at most
    /// `limit`), or with `None` the last `limit` events.
    async fn tail_trace(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<(u64, TraceEvent)>, StoreError>;
    /// Every event of one decision, in ascending sequence order.
    async fn trace_for_decision(
        &self,
        decision_id: &DecisionId,
    ) -> Result<Vec<(u64, TraceEvent)>, StoreError>;
    /// The highest sequence number, `None` when the trace is empty.
    async fn latest_trace_seq(&self) -> Result<Option<u64>, StoreError>;
}
