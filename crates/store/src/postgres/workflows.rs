//! Workflows, revoked delegation blocks and the shared ledgers
//! (`workflows`, `workflow_revocations`, `workflow_ledgers`). A ledger
//! update takes a transaction-scoped advisory lock on the workflow id, then
//! reads and writes its row, so concurrent charges of one workflow from any
//! replica are serialized (the lock also covers a ledger not created yet).

use crate::timestamp::{from_nanos, to_nanos};
use crate::{LedgerUpdate, NewRevocation, RevocationRecord, StoreError, WorkflowRecord};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;

const COLUMNS: &str = "id, purpose, started_by, scope, budgets, max_depth, \
     root_revocation_id, created_at, expires_at";

fn json_text(field: &str, v: &serde_json::Value) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(format!("{field}: {e}")))
}

fn json_value(field: &str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("stored workflow {field} is not JSON: {e}")))
}

pub(super) async fn create(pool: &PgPool, w: &WorkflowRecord) -> Result<(), StoreError> {
    let max_depth = i64::from(w.max_depth);
    let result = sqlx::query(&format!(
        "INSERT INTO workflows ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO NOTHING"
    ))
    .bind(&w.id)
    .bind(&w.purpose)
    .bind(&w.started_by)
    .bind(json_text("scope", &w.scope)?)
    .bind(json_text("budgets", &w.budgets)?)
    .bind(max_depth)
    .bind(&w.root_revocation_id)
    .bind(to_nanos(w.created_at)?)
    .bind(to_nanos(w.expires_at)?)
    .execute(pool)
    .await
    .map_err(|e| StoreError::db("could not record the workflow", e))?;
    if result.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "workflow {} already exists",
            w.id
        )));
    }
    Ok(())
}

fn decode(row: &PgRow) -> Result<WorkflowRecord, StoreError> {
    let get = |e: sqlx::Error| StoreError::db("could not decode a workflow", e);
    let scope: String = row.try_get("scope").map_err(get)?;
    let budgets: String = row.try_get("budgets").map_err(get)?;
    let max_depth: i64 = row.try_get("max_depth").map_err(get)?;
    Ok(WorkflowRecord {
        id: row.try_get("id").map_err(get)?,
        purpose: row.try_get("purpose").map_err(get)?,
        started_by: row.try_get("started_by").map_err(get)?,
        scope: json_value("scope", &scope)?,
        budgets: json_value("budgets", &budgets)?,
        max_depth: u32::try_from(max_depth)
            .map_err(|_| StoreError::Corrupt(format!("workflow max_depth {max_depth}")))?,
        root_revocation_id: row.try_get("root_revocation_id").map_err(get)?,
        created_at: from_nanos(row.try_get("created_at").map_err(get)?)?,
        expires_at: from_nanos(row.try_get("expires_at").map_err(get)?)?,
    })
}

pub(super) async fn get(pool: &PgPool, id: &str) -> Result<Option<WorkflowRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM workflows WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(|e| StoreError::db("could not read the workflow", e))?;
    row.as_ref().map(decode).transpose()
}

pub(super) async fn list(pool: &PgPool, limit: u32) -> Result<Vec<WorkflowRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM workflows ORDER BY created_at DESC, id LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(|e| StoreError::db("could not list workflows", e))?;
    rows.iter().map(decode).collect()
}

pub(super) async fn revoke(
    pool: &PgPool,
    r: NewRevocation,
    now: OffsetDateTime,
) -> Result<RevocationRecord, StoreError> {
    sqlx::query(
        "INSERT INTO workflow_revocations (revocation_id, workflow_id, operator, reason, revoked_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (revocation_id) DO NOTHING",
    )
    .bind(&r.revocation_id)
    .bind(&r.workflow_id)
    .bind(&r.operator)
    .bind(&r.reason)
    .bind(to_nanos(now)?)
    .execute(pool)
    .await
    .map_err(|e| StoreError::db("could not record the revocation", e))?;
    let row = sqlx::query(
        "SELECT revocation_id, workflow_id, operator, reason, revoked_at \
         FROM workflow_revocations WHERE revocation_id = $1",
    )
    .bind(&r.revocation_id)
    .fetch_one(pool)
    .await
    .map_err(|e| StoreError::db("could not read the revocation", e))?;
    decode_revocation(&row)
}

fn decode_revocation(row: &PgRow) -> Result<RevocationRecord, StoreError> {
    let get = |e: sqlx::Error| StoreError::db("could not decode a revocation", e);
    Ok(RevocationRecord {
        revocation_id: row.try_get("revocation_id").map_err(get)?,
        workflow_id: row.try_get("workflow_id").map_err(get)?,
        operator: row.try_get("operator").map_err(get)?,
        reason: row.try_get("reason").map_err(get)?,
        revoked_at: from_nanos(row.try_get("revoked_at").map_err(get)?)?,
    })
}

pub(super) async fn revocations(pool: &PgPool) -> Result<Vec<RevocationRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT revocation_id, workflow_id, operator, reason, revoked_at \
         FROM workflow_revocations ORDER BY revoked_at, revocation_id",
    )
    .fetch_all(pool)
    .await
    .map_err(|e| StoreError::db("could not list revocations", e))?;
    rows.iter().map(decode_revocation).collect()
}

pub(super) async fn update_ledger(
    pool: &PgPool,
    workflow: &str,
    expires_at: OffsetDateTime,
    update: LedgerUpdate<'_>,
    now: OffsetDateTime,
) -> Result<Result<String, String>, StoreError> {
    let fail = |e: sqlx::Error| StoreError::db("could not update the workflow ledger", e);
    let mut tx = pool.begin().await.map_err(fail)?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
        .bind(workflow)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    let current: Option<String> =
        sqlx::query_scalar("SELECT state FROM workflow_ledgers WHERE workflow_id = $1")
            .bind(workflow)
            .fetch_optional(&mut *tx)
            .await
            .map_err(fail)?;
    let next = match update(current.as_deref()) {
        Ok(next) => next,
        Err(refusal) => {
            tx.rollback().await.map_err(fail)?;
            return Ok(Err(refusal));
        }
    };
    sqlx::query(
        "INSERT INTO workflow_ledgers (workflow_id, state, expires_at, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (workflow_id) DO UPDATE \
         SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(workflow)
    .bind(&next)
    .bind(to_nanos(expires_at)?)
    .bind(to_nanos(now)?)
    .execute(&mut *tx)
    .await
    .map_err(fail)?;
    tx.commit().await.map_err(fail)?;
    Ok(Ok(next))
}

pub(super) async fn ledger(pool: &PgPool, workflow: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT state FROM workflow_ledgers WHERE workflow_id = $1")
        .bind(workflow)
        .fetch_optional(pool)
        .await
        .map_err(|e| StoreError::db("could not read the workflow ledger", e))
}

pub(super) async fn prune_ledgers(pool: &PgPool, now: OffsetDateTime) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM workflow_ledgers WHERE expires_at < $1")
        .bind(to_nanos(now)?)
        .execute(pool)
        .await
        .map_err(|e| StoreError::db("could not prune workflow ledgers", e))?;
    Ok(result.rows_affected())
}
