//! The storage contract every backend implements. Callers use it through
//! [`crate::Store`]; each method's semantics are pinned by the shared
//! `conformance` suite so all backends behave the same.

use crate::{AgentRecord, ApprovalRecord, ApprovalStatus, NewAgent, NewApproval, StoreError};
use crate::{ConsoleSessionRecord, NewConsoleSession, NewOperator, OperatorRecord, OperatorUpdate};
use crate::{Grant, KillRecord, NewGrant, NewKill, NewVote};
use behavry_core::{AgentId, DecisionId, TraceEvent};
use behavry_trace::{Checkpoint, StoredRecord};
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
    /// Record one operator's vote on a pending, unexpired approval. A deny
    /// rejects it; reaching `rule.required_approvals` distinct approvals
    /// approves it (stamping `decided_at`/`decided_by` with the last voter).
    /// - unknown id: `NotFound`; not pending or expired: `Conflict`;
    /// - the same operator voting twice: `Conflict`;
    /// - edited arguments on a rule needing more than one approval: `Invalid`.
    async fn vote_approval(&self, id: &str, vote: NewVote) -> Result<ApprovalRecord, StoreError>;
    /// The newest approval of `agent` for the call with `call_hash`, created
    /// at or after `since`, that is pending or decided and not yet collected.
    async fn find_open_approval_for_call(
        &self,
        agent: &AgentId,
        call_hash: &str,
        since: OffsetDateTime,
    ) -> Result<Option<ApprovalRecord>, StoreError>;
    /// Mark a decided approval collected (by a retried call). At most one
    /// collection succeeds; pending or collected: `Conflict`.
    async fn collect_approval(&self, id: &str) -> Result<ApprovalRecord, StoreError>;
    async fn count_pending_approvals(&self, agent: &AgentId) -> Result<u64, StoreError>;
    /// Flag a pending approval escalated; `true` only for the one caller
    /// that changed it.
    async fn mark_approval_escalated(&self, id: &str) -> Result<bool, StoreError>;

    // ----- grants and kill switches -----

    /// Store a scoped grant with a fresh UUID v4 id (`Invalid` when it
    /// expires before it is created).
    async fn create_grant(&self, grant: NewGrant) -> Result<Grant, StoreError>;
    /// Grants neither revoked nor expired at `now`, oldest first.
    async fn active_grants(&self, now: OffsetDateTime) -> Result<Vec<Grant>, StoreError>;
    /// `NotFound`, or `Conflict` when already revoked.
    async fn revoke_grant(&self, id: &str) -> Result<Grant, StoreError>;
    /// Engage a kill switch (`Invalid` without a reason, or when a global
    /// switch has a target or another scope has none).
    async fn engage_kill(&self, kill: NewKill) -> Result<KillRecord, StoreError>;
    /// `NotFound`, or `Conflict` when already released.
    async fn release_kill(&self, id: &str, operator: &str) -> Result<KillRecord, StoreError>;
    /// Engaged kill switches, oldest first.
    async fn engaged_kills(&self) -> Result<Vec<KillRecord>, StoreError>;

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

    // ----- decision trace: tamper evidence (docs/trace.md) -----

    /// Stored records with `seq > after_seq`, ascending, at most `limit`,
    /// exactly as stored: indexed columns, event text and chain fields
    /// (an absent chain field reads as an empty string). For verification
    /// and proofs; nothing is decoded or repaired.
    async fn trace_records(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredRecord>, StoreError>;
    /// Store a signed checkpoint. It must start right after the latest
    /// checkpoint (at 1 for the first) and its `last_hash` must be the
    /// stored hash of record `last_seq`; otherwise `Conflict`. The
    /// signature is the caller's to check.
    async fn append_trace_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;
    /// Checkpoints with `last_seq > after_seq`, ascending, at most `limit`.
    async fn trace_checkpoints(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<Checkpoint>, StoreError>;
    /// The checkpoint whose range holds record `seq`.
    async fn trace_checkpoint_covering(&self, seq: u64) -> Result<Option<Checkpoint>, StoreError>;
    /// The checkpoint with the highest `last_seq`.
    async fn latest_trace_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError>;

    // ----- operators and console sessions (see `sqlite::operators`) -----

    /// Register an operator. A name in use (even by a disabled operator) is a
    /// `Conflict`; a role other than viewer / approver / admin or a password
    /// hash that is not an Argon2id PHC string is `Invalid`.
    async fn create_operator(&self, operator: NewOperator) -> Result<OperatorRecord, StoreError>;
    /// All operators, disabled ones included, ordered by name.
    async fn list_operators(&self) -> Result<Vec<OperatorRecord>, StoreError>;
    async fn get_operator_by_name(&self, name: &str) -> Result<Option<OperatorRecord>, StoreError>;
    async fn get_operator_by_id(&self, id: &str) -> Result<Option<OperatorRecord>, StoreError>;
    /// Change role, groups and/or password hash. A new password hash ends
    /// every session of the operator. `NotFound` if absent.
    async fn update_operator(
        &self,
        name: &str,
        update: OperatorUpdate,
    ) -> Result<OperatorRecord, StoreError>;
    /// Disable the operator and end their sessions. Idempotent: the first
    /// `disabled_at` stays. `NotFound` if absent.
    async fn disable_operator(&self, name: &str) -> Result<OperatorRecord, StoreError>;
    /// Store a console session (`Conflict` on a reused id hash, `NotFound`
    /// for an unknown operator id, `Invalid` for a malformed hash or an
    /// expiry not after creation).
    async fn create_console_session(
        &self,
        session: NewConsoleSession,
    ) -> Result<ConsoleSessionRecord, StoreError>;
    async fn get_console_session(
        &self,
        id_hash: &str,
    ) -> Result<Option<ConsoleSessionRecord>, StoreError>;
    /// Move the session's `last_seen_at` forward to `now` (never back).
    async fn touch_console_session(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// End one session; `true` when it existed.
    async fn delete_console_session(&self, id_hash: &str) -> Result<bool, StoreError>;
    /// Remove sessions past their absolute expiry (`expires_at <= now`) or
    /// idle since `idle_before`; returns how many were removed.
    async fn delete_stale_console_sessions(
        &self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// The time of each agent's latest `decision` trace event, keyed by
    /// agent id; agents that never made a call are absent.
    async fn agent_last_activity(
        &self,
    ) -> Result<std::collections::BTreeMap<String, OffsetDateTime>, StoreError>;

    // ----- behavioural baselines (see `sqlite::baselines`) -----

    /// Store these profiles, replacing any stored under the same kind and
    /// key, all in one transaction. An empty key is `Invalid`.
    async fn put_baselines(&self, records: &[crate::BaselineRecord]) -> Result<(), StoreError>;
    /// Every stored profile, ordered by kind then key.
    async fn list_baselines(&self) -> Result<Vec<crate::BaselineRecord>, StoreError>;
    /// Forget one profile; `true` when it existed.
    async fn delete_baseline(
        &self,
        kind: crate::BaselineKind,
        key: &str,
    ) -> Result<bool, StoreError>;

    // ----- pinned tool definitions (see `sqlite::pins`) -----

    /// Pin a tool seen for the first time (held as `changed` when
    /// `new.held` is set). `Conflict` when the tool already has a pin.
    async fn create_tool_pin(&self, new: crate::NewToolPin) -> Result<crate::ToolPin, StoreError>;
    async fn get_tool_pin(
        &self,
        upstream: &str,
        tool: &str,
    ) -> Result<Option<crate::ToolPin>, StoreError>;
    /// Pins ordered by upstream then tool, optionally of one status.
    async fn list_tool_pins(
        &self,
        status: Option<crate::PinStatus>,
    ) -> Result<Vec<crate::ToolPin>, StoreError>;
    /// Hold a new definition of a pinned tool for approval (status
    /// `changed`; the approved definition is kept). `NotFound` if absent.
    async fn mark_tool_pin_changed(
        &self,
        upstream: &str,
        tool: &str,
        pending_hash: &str,
        pending_definition: &serde_json::Value,
        reason: &str,
    ) -> Result<crate::ToolPin, StoreError>;
    /// Make the pending definition the pinned one. `NotFound` if absent;
    /// `Conflict` when nothing is pending or the pending hash is not
    /// `expected_hash` (when given).
    async fn approve_tool_pin(
        &self,
        upstream: &str,
        tool: &str,
        approved_by: &str,
        expected_hash: Option<&str>,
    ) -> Result<crate::ToolPin, StoreError>;
    // ----- workflows -----

    /// Record a workflow Behavry started. `Conflict` if the id exists.
    async fn create_workflow(&self, workflow: &crate::WorkflowRecord) -> Result<(), StoreError>;
    async fn get_workflow(&self, id: &str) -> Result<Option<crate::WorkflowRecord>, StoreError>;
    /// Newest first, at most `limit`.
    async fn list_workflows(&self, limit: u32) -> Result<Vec<crate::WorkflowRecord>, StoreError>;
    /// Revoke a delegation block. Idempotent: revoking again returns the
    /// first record unchanged.
    async fn revoke_delegation(
        &self,
        revocation: crate::NewRevocation,
    ) -> Result<crate::RevocationRecord, StoreError>;
    /// Every revoked block, oldest first.
    async fn list_revocations(&self) -> Result<Vec<crate::RevocationRecord>, StoreError>;
    /// Atomically replace a workflow's ledger document with `update`'s
    /// result (see [`crate::LedgerUpdate`]); concurrent updates of one
    /// workflow are serialized, across processes too. `Ok(Err(refusal))`
    /// when `update` refused (nothing written).
    async fn update_workflow_ledger(
        &self,
        workflow: &str,
        expires_at: OffsetDateTime,
        update: crate::LedgerUpdate<'_>,
    ) -> Result<Result<String, String>, StoreError>;
    async fn get_workflow_ledger(&self, workflow: &str) -> Result<Option<String>, StoreError>;
    /// Delete the ledgers of workflows that ended before `now`; returns how many.
    async fn prune_workflow_ledgers(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}
