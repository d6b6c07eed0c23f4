//! The PostgreSQL backend, for several gateway replicas sharing one
//! database.
//!
//! The schema mirrors SQLite's (migrations in `migrations/postgres`, one per
//! SQLite migration, run on open or by `behavry migrate`); timestamps are
//! Unix nanoseconds in BIGINT columns and JSON documents are TEXT, so every
//! value reads back exactly as SQLite returns it, and text is ordered
//! byte-wise (`COLLATE "C"`) as in SQLite. Each operation is atomic across
//! replicas: one-way state changes are conditional UPDATEs, a vote locks
//! its approval's row, and trace appends serialise on the trace table's
//! write lock so every replica extends one hash chain ([`trace_writer`]).
//! One module per table group, as in [`crate::sqlite`].

mod agents;
mod approvals;
mod baselines;
mod console_sessions;
mod controls;
pub mod notify;
mod open;
mod operators;
mod pins;
mod settings;
mod trace_checkpoints;
mod trace_read;
pub mod trace_writer;
mod workflows;

pub use open::{PostgresSettings, DEFAULT_POOL_SIZE};

use crate::{
    AgentRecord, ApprovalRecord, ApprovalStatus, NewAgent, NewApproval, StoreBackend, StoreError,
};
use crate::{ConsoleSessionRecord, NewConsoleSession, NewOperator, OperatorRecord, OperatorUpdate};
use crate::{Grant, KillRecord, NewGrant, NewKill, NewVote};
use behavry_core::{AgentId, DecisionId, TraceEvent};
use behavry_trace::{Checkpoint, StoredRecord};
use sqlx::PgPool;
use time::OffsetDateTime;
use trace_writer::TraceWriter;

/// The PostgreSQL-backed store.
pub struct PostgresStore {
    pool: PgPool,
    trace: TraceWriter,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresStore")
    }
}

#[async_trait::async_trait]
impl StoreBackend for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::db("database did not answer", e))?;
        if self.trace.is_stopped() {
            return Err(StoreError::Unavailable(
                self.trace.stopped_reason().to_string(),
            ));
        }
        Ok(())
    }

    async fn create_agent(&self, agent: NewAgent) -> Result<AgentRecord, StoreError> {
        agents::create(&self.pool, agent).await
    }

    async fn list_agents(&self) -> Result<Vec<AgentRecord>, StoreError> {
        agents::list(&self.pool).await
    }

    async fn get_agent_by_name(&self, name: &str) -> Result<Option<AgentRecord>, StoreError> {
        agents::get_by(&self.pool, agents::Lookup::Name, name).await
    }

    async fn get_agent_by_id(&self, id: &str) -> Result<Option<AgentRecord>, StoreError> {
        agents::get_by(&self.pool, agents::Lookup::Id, id).await
    }

    async fn get_agent_by_credential_hash(
        &self,
        credential_hash: &str,
    ) -> Result<Option<AgentRecord>, StoreError> {
        agents::get_by(&self.pool, agents::Lookup::CredentialHash, credential_hash).await
    }

    async fn revoke_agent(&self, name: &str) -> Result<AgentRecord, StoreError> {
        agents::revoke(&self.pool, name).await
    }

    async fn rotate_credential(
        &self,
        name: &str,
        new_credential_hash: &str,
    ) -> Result<AgentRecord, StoreError> {
        agents::rotate(&self.pool, name, new_credential_hash).await
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        settings::get(&self.pool, key).await
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        settings::put(&self.pool, key, value).await
    }

    async fn create_approval(&self, approval: NewApproval) -> Result<ApprovalRecord, StoreError> {
        approvals::create(&self.pool, approval).await
    }

    async fn get_approval(&self, id: &str) -> Result<Option<ApprovalRecord>, StoreError> {
        approvals::get(&self.pool, id).await
    }

    async fn list_approvals(
        &self,
        status: Option<ApprovalStatus>,
        limit: u32,
    ) -> Result<Vec<ApprovalRecord>, StoreError> {
        approvals::list(&self.pool, status, limit).await
    }

    async fn resolve_approval(
        &self,
        id: &str,
        new_status: ApprovalStatus,
        operator: Option<&str>,
        reason: Option<&str>,
    ) -> Result<ApprovalRecord, StoreError> {
        approvals::resolve(&self.pool, id, new_status, operator, reason).await
    }

    async fn expire_due_approvals(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<ApprovalRecord>, StoreError> {
        approvals::expire_due(&self.pool, now).await
    }

    async fn vote_approval(&self, id: &str, vote: NewVote) -> Result<ApprovalRecord, StoreError> {
        approvals::vote(&self.pool, id, vote).await
    }

    async fn find_open_approval_for_call(
        &self,
        agent: &AgentId,
        call_hash: &str,
        since: OffsetDateTime,
    ) -> Result<Option<ApprovalRecord>, StoreError> {
        approvals::find_open_for_call(&self.pool, agent, call_hash, since).await
    }

    async fn collect_approval(&self, id: &str) -> Result<ApprovalRecord, StoreError> {
        approvals::collect(&self.pool, id).await
    }

    async fn count_pending_approvals(&self, agent: &AgentId) -> Result<u64, StoreError> {
        approvals::count_pending(&self.pool, agent).await
    }

    async fn mark_approval_escalated(&self, id: &str) -> Result<bool, StoreError> {
        approvals::mark_escalated(&self.pool, id).await
    }

    async fn create_grant(&self, grant: NewGrant) -> Result<Grant, StoreError> {
        controls::create_grant(&self.pool, grant).await
    }

    async fn active_grants(&self, now: OffsetDateTime) -> Result<Vec<Grant>, StoreError> {
        controls::active_grants(&self.pool, now).await
    }

    async fn revoke_grant(&self, id: &str) -> Result<Grant, StoreError> {
        controls::revoke_grant(&self.pool, id).await
    }

    async fn engage_kill(&self, kill: NewKill) -> Result<KillRecord, StoreError> {
        controls::engage_kill(&self.pool, kill).await
    }

    async fn release_kill(&self, id: &str, operator: &str) -> Result<KillRecord, StoreError> {
        controls::release_kill(&self.pool, id, operator).await
    }

    async fn engaged_kills(&self) -> Result<Vec<KillRecord>, StoreError> {
        controls::engaged_kills(&self.pool).await
    }

    async fn append_trace(&self, event: &TraceEvent) -> Result<u64, StoreError> {
        self.trace.append(event).await
    }

    async fn append_trace_deferred(&self, event: &TraceEvent) -> Result<(), StoreError> {
        self.trace.append_deferred(event).await
    }

    async fn tail_trace(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<(u64, TraceEvent)>, StoreError> {
        trace_read::tail(&self.pool, after_seq, limit).await
    }

    async fn trace_for_decision(
        &self,
        decision_id: &DecisionId,
    ) -> Result<Vec<(u64, TraceEvent)>, StoreError> {
        trace_read::for_decision(&self.pool, decision_id).await
    }

    async fn latest_trace_seq(&self) -> Result<Option<u64>, StoreError> {
        trace_read::latest_seq(&self.pool).await
    }

    async fn trace_records(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        trace_read::records(&self.pool, after_seq, limit).await
    }

    async fn append_trace_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        trace_checkpoints::append(&self.pool, checkpoint).await
    }

    async fn trace_checkpoints(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<Checkpoint>, StoreError> {
        trace_checkpoints::list(&self.pool, after_seq, limit).await
    }

    async fn trace_checkpoint_covering(&self, seq: u64) -> Result<Option<Checkpoint>, StoreError> {
        trace_checkpoints::covering(&self.pool, seq).await
    }

    async fn latest_trace_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        trace_checkpoints::latest(&self.pool).await
    }

    async fn create_operator(&self, operator: NewOperator) -> Result<OperatorRecord, StoreError> {
        operators::create(&self.pool, operator).await
    }

    async fn list_operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        operators::list(&self.pool).await
    }

    async fn get_operator_by_name(&self, name: &str) -> Result<Option<OperatorRecord>, StoreError> {
        operators::get(&self.pool, name, false).await
    }

    async fn get_operator_by_id(&self, id: &str) -> Result<Option<OperatorRecord>, StoreError> {
        operators::get(&self.pool, id, true).await
    }

    async fn update_operator(
        &self,
        name: &str,
        update: OperatorUpdate,
    ) -> Result<OperatorRecord, StoreError> {
        operators::update(&self.pool, name, update).await
    }

    async fn disable_operator(&self, name: &str) -> Result<OperatorRecord, StoreError> {
        operators::disable(&self.pool, name).await
    }

    async fn create_console_session(
        &self,
        session: NewConsoleSession,
    ) -> Result<ConsoleSessionRecord, StoreError> {
        console_sessions::create_session(&self.pool, session).await
    }

    async fn get_console_session(
        &self,
        id_hash: &str,
    ) -> Result<Option<ConsoleSessionRecord>, StoreError> {
        console_sessions::get_session(&self.pool, id_hash).await
    }

    async fn touch_console_session(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        console_sessions::touch_session(&self.pool, id_hash, now).await
    }

    async fn delete_console_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        console_sessions::delete_session(&self.pool, id_hash).await
    }

    async fn delete_stale_console_sessions(
        &self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        console_sessions::delete_stale_sessions(&self.pool, now, idle_before).await
    }

    async fn agent_last_activity(
        &self,
    ) -> Result<std::collections::BTreeMap<String, OffsetDateTime>, StoreError> {
        operators::agent_last_activity(&self.pool).await
    }

    // ----- behavioural baselines -----

    async fn put_baselines(&self, records: &[crate::BaselineRecord]) -> Result<(), StoreError> {
        baselines::put(&self.pool, records).await
    }

    async fn list_baselines(&self) -> Result<Vec<crate::BaselineRecord>, StoreError> {
        baselines::list(&self.pool).await
    }

    async fn delete_baseline(
        &self,
        kind: crate::BaselineKind,
        key: &str,
    ) -> Result<bool, StoreError> {
        baselines::delete(&self.pool, kind, key).await
    }

    // ----- pinned tool definitions -----

    async fn create_tool_pin(&self, new: crate::NewToolPin) -> Result<crate::ToolPin, StoreError> {
        pins::create(&self.pool, new).await
    }

    async fn get_tool_pin(
        &self,
        upstream: &str,
        tool: &str,
    ) -> Result<Option<crate::ToolPin>, StoreError> {
        pins::get(&self.pool, upstream, tool).await
    }

    async fn list_tool_pins(
        &self,
        status: Option<crate::PinStatus>,
    ) -> Result<Vec<crate::ToolPin>, StoreError> {
        pins::list(&self.pool, status).await
    }

    async fn mark_tool_pin_changed(
        &self,
        upstream: &str,
        tool: &str,
        pending_hash: &str,
        pending_definition: &serde_json::Value,
        reason: &str,
    ) -> Result<crate::ToolPin, StoreError> {
        pins::mark_changed(
            &self.pool,
            upstream,
            tool,
            pending_hash,
            pending_definition,
            reason,
        )
        .await
    }

    async fn approve_tool_pin(
        &self,
        upstream: &str,
        tool: &str,
        approved_by: &str,
        expected_hash: Option<&str>,
    ) -> Result<crate::ToolPin, StoreError> {
        pins::approve(&self.pool, upstream, tool, approved_by, expected_hash).await
    }

    // ----- workflows -----

    async fn create_workflow(&self, workflow: &crate::WorkflowRecord) -> Result<(), StoreError> {
        workflows::create(&self.pool, workflow).await
    }

    async fn get_workflow(&self, id: &str) -> Result<Option<crate::WorkflowRecord>, StoreError> {
        workflows::get(&self.pool, id).await
    }

    async fn list_workflows(&self, limit: u32) -> Result<Vec<crate::WorkflowRecord>, StoreError> {
        workflows::list(&self.pool, limit).await
    }

    async fn revoke_delegation(
        &self,
        revocation: crate::NewRevocation,
    ) -> Result<crate::RevocationRecord, StoreError> {
        workflows::revoke(&self.pool, revocation, OffsetDateTime::now_utc()).await
    }

    async fn list_revocations(&self) -> Result<Vec<crate::RevocationRecord>, StoreError> {
        workflows::revocations(&self.pool).await
    }

    async fn update_workflow_ledger(
        &self,
        workflow: &str,
        expires_at: OffsetDateTime,
        update: crate::LedgerUpdate<'_>,
    ) -> Result<Result<String, String>, StoreError> {
        workflows::update_ledger(
            &self.pool,
            workflow,
            expires_at,
            update,
            OffsetDateTime::now_utc(),
        )
        .await
    }

    async fn get_workflow_ledger(&self, workflow: &str) -> Result<Option<String>, StoreError> {
        workflows::ledger(&self.pool, workflow).await
    }

    async fn prune_workflow_ledgers(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        workflows::prune_ledgers(&self.pool, now).await
    }
}
