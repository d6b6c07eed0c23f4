//! Operators and each agent's latest decision (console sessions are in
//! [`super::console_sessions`]).
//!
//! Invariants: roles are one of [`crate::OPERATOR_ROLES`]; a password hash is an
//! Argon2id PHC string; disabling an operator or changing their password
//! ends all of their sessions in the same transaction.

use crate::error::is_unique_violation;
use crate::timestamp::{from_nanos, to_nanos};
use crate::{NewOperator, OperatorRecord, OperatorUpdate, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use std::collections::BTreeMap;
use time::OffsetDateTime;

const COLUMNS: &str = "id, name, role, groups, password_hash, created_at, disabled_at";

pub(super) async fn create(
    pool: &SqlitePool,
    op: NewOperator,
) -> Result<OperatorRecord, StoreError> {
    crate::validate::operator_role(&op.role)?;
    if let Some(hash) = &op.password_hash {
        crate::validate::password_hash(hash)?;
    }
    let record = OperatorRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name: op.name,
        role: op.role,
        groups: op.groups,
        password_hash: op.password_hash,
        created_at: OffsetDateTime::now_utc(),
        disabled_at: None,
    };
    let inserted = sqlx::query(
        "INSERT INTO operators (id, name, role, groups, password_hash, created_at, disabled_at) \
         VALUES (?, ?, ?, ?, ?, ?, NULL)",
    )
    .bind(&record.id)
    .bind(&record.name)
    .bind(&record.role)
    .bind(encode_groups(&record.groups)?)
    .bind(&record.password_hash)
    .bind(to_nanos(record.created_at)?)
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => Ok(record),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "an operator named `{}` already exists",
            record.name
        ))),
        Err(e) => Err(StoreError::db("could not create the operator", e)),
    }
}

pub(super) async fn list(pool: &SqlitePool) -> Result<Vec<OperatorRecord>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM operators ORDER BY name"))
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::db("could not list operators", e))?;
    rows.iter().map(decode).collect()
}

/// Look an operator up by `name` (`by_id == false`) or by id.
pub(super) async fn get(
    pool: &SqlitePool,
    value: &str,
    by_id: bool,
) -> Result<Option<OperatorRecord>, StoreError> {
    let column = if by_id { "id" } else { "name" };
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM operators WHERE {column} = ?"
    ))
    .bind(value)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not look up the operator", e))?;
    row.as_ref().map(decode).transpose()
}

pub(super) async fn update(
    pool: &SqlitePool,
    name: &str,
    update: OperatorUpdate,
) -> Result<OperatorRecord, StoreError> {
    if let Some(role) = &update.role {
        crate::validate::operator_role(role)?;
    }
    if let Some(hash) = &update.password_hash {
        crate::validate::password_hash(hash)?;
    }
    let groups = update.groups.as_deref().map(encode_groups).transpose()?;
    let mut tx = pool
        .begin()
        .await
        .map_err(|e| StoreError::db("could not update the operator", e))?;
    let row = sqlx::query(&format!(
        "UPDATE operators SET role = COALESCE(?, role), groups = COALESCE(?, groups), \
         password_hash = COALESCE(?, password_hash) WHERE name = ? RETURNING {COLUMNS}"
    ))
    .bind(&update.role)
    .bind(groups)
    .bind(&update.password_hash)
    .bind(name)
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| StoreError::db("could not update the operator", e))?;
    let record = match row {
        Some(row) => decode(&row)?,
        None => return Err(not_found(name)),
    };
    if update.password_hash.is_some() {
        end_sessions(&mut tx, &record.id).await?;
    }
    tx.commit()
        .await
        .map_err(|e| StoreError::db("could not update the operator", e))?;
    Ok(record)
}

pub(super) async fn disable(pool: &SqlitePool, name: &str) -> Result<OperatorRecord, StoreError> {
    let now = to_nanos(OffsetDateTime::now_utc())?;
    let mut tx = pool
        .begin()
        .await
        .map_err(|e| StoreError::db("could not disable the operator", e))?;
    let row = sqlx::query(&format!(
        "UPDATE operators SET disabled_at = COALESCE(disabled_at, ?) WHERE name = ? RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(name)
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| StoreError::db("could not disable the operator", e))?;
    let record = match row {
        Some(row) => decode(&row)?,
        None => return Err(not_found(name)),
    };
    end_sessions(&mut tx, &record.id).await?;
    tx.commit()
        .await
        .map_err(|e| StoreError::db("could not disable the operator", e))?;
    Ok(record)
}

async fn end_sessions(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    operator_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM console_sessions WHERE operator_id = ?")
        .bind(operator_id)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::db("could not end the operator's sessions", e))?;
    Ok(())
}

/// The time of each agent's latest decision, keyed by agent id; agents
/// without a decision are absent. One index seek per agent.
pub(super) async fn agent_last_activity(
    pool: &SqlitePool,
) -> Result<BTreeMap<String, OffsetDateTime>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM agents")
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::db("could not list agents", e))?;
    let mut out = BTreeMap::new();
    for id in ids {
        let time: Option<i64> = sqlx::query_scalar(LAST_DECISION)
            .bind(&id)
            .fetch_optional(pool)
            .await
            .map_err(|e| StoreError::db("could not read agent activity", e))?;
        if let Some(time) = time {
            out.insert(id, from_nanos(time)?);
        }
    }
    Ok(out)
}

/// Written to match the expression of `trace_events_agent_decisions`.
const LAST_DECISION: &str = "SELECT time FROM trace_events \
     WHERE kind = 'decision' AND json_extract(body, '$.agent.id') = ? ORDER BY seq DESC LIMIT 1";

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound(format!("no operator named `{name}`"))
}

fn encode_groups(groups: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(groups)
        .map_err(|e| StoreError::Invalid(format!("operator groups could not be encoded: {e}")))
}

fn decode(row: &SqliteRow) -> Result<OperatorRecord, StoreError> {
    let ctx = "operator row";
    let text = |col: &str| {
        row.try_get::<String, _>(col)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let groups: Vec<String> = serde_json::from_str(&text("groups")?)
        .map_err(|e| StoreError::corrupt("operator groups", e))?;
    let disabled_at: Option<i64> = row
        .try_get("disabled_at")
        .map_err(|e| StoreError::db(ctx, e))?;
    Ok(OperatorRecord {
        id: text("id")?,
        name: text("name")?,
        role: text("role")?,
        groups,
        password_hash: row
            .try_get("password_hash")
            .map_err(|e| StoreError::db(ctx, e))?,
        created_at: from_nanos(
            row.try_get("created_at")
                .map_err(|e| StoreError::db(ctx, e))?,
        )?,
        disabled_at: disabled_at.map(from_nanos).transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn last_activity_uses_the_agent_decision_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::SqliteStore::open(dir.path()).await.unwrap();
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {LAST_DECISION}"))
            .bind("agent")
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("detail"))
            .collect();
        assert!(
            plan.iter()
                .any(|d| d.contains("trace_events_agent_decisions")),
            "{plan:?}"
        );
    }
}
