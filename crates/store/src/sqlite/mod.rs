//! The embedded SQLite backend.
//!
//! One file, `behavry.db`, in a private (0700) data directory. Every
//! connection runs in WAL mode with `synchronous=FULL` (a commit is on disk
//! before it is reported), a busy timeout and foreign keys on. Migrations in
//! `migrations/sqlite` run on open. Trace appends go through a single
//! group-committing writer ([`trace_writer`]); everything else uses a small
//! connection pool and single-statement, atomic updates.

mod agents;
mod approvals;
mod open;
mod settings;
mod trace_read;
pub mod trace_writer;

use crate::{
    AgentRecord, ApprovalRecord, ApprovalStatus, NewAgent, NewApproval, StoreBackend, StoreError,
};
use behavry_core::{DecisionId, TraceEvent};
use sqlx::SqlitePool;
use time::OffsetDateTime;
use trace_writer::TraceWriter;

/// File name of the database inside the data directory.
pub const DB_FILE_NAME: &str = "behavry.db";

/// The SQLite-backed store.
pub struct SqliteStore {
    pool: SqlitePool,
    trace: TraceWriter,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

#[async_trait::async_trait]
impl StoreBackend for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::db("database did not answer", e))?;
        if self.trace.is_stopped() {
            return Err(StoreError::Unavailable(
                "trace writer has stopped".to_string(),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_use_wal_full_sync_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let mut conn = store.pool.acquire().await.unwrap();
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(
            (journal.as_str(), synchronous, foreign_keys),
            ("wal", 2, 1),
            "2 is synchronous=FULL"
        );
        assert!(busy_timeout >= 1000);
    }
}
