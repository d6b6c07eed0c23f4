//! Agent registry queries. Credential hashes are validated on the way in
//! and never appear in error messages.

use crate::error::is_unique_violation;
use crate::timestamp::{from_nanos, to_nanos};
use crate::{AgentRecord, NewAgent, StoreError};
use behavry_core::AgentId;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use std::collections::BTreeMap;
use time::OffsetDateTime;

const COLUMNS: &str = "id, name, role, labels, owner, credential_hash, created_at, revoked_at";

/// Which unique column to look an agent up by.
#[derive(Debug, Clone, Copy)]
pub(super) enum Lookup {
    Id,
    Name,
    CredentialHash,
}

pub(super) async fn create(pool: &SqlitePool, agent: NewAgent) -> Result<AgentRecord, StoreError> {
    crate::validate::credential_hash(&agent.credential_hash)?;
    let labels = serde_json::to_string(&agent.labels)
        .map_err(|e| StoreError::Invalid(format!("agent labels could not be encoded: {e}")))?;
    let record = AgentRecord {
        id: AgentId(uuid::Uuid::new_v4().to_string()),
        name: agent.name,
        role: agent.role,
        labels: agent.labels,
        owner: agent.owner,
        credential_hash: agent.credential_hash,
        created_at: OffsetDateTime::now_utc(),
        revoked_at: None,
    };
    let inserted = sqlx::query(
        "INSERT INTO agents (id, name, role, labels, owner, credential_hash, created_at, revoked_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
    )
    .bind(&record.id.0)
    .bind(&record.name)
    .bind(&record.role)
    .bind(labels)
    .bind(&record.owner)
    .bind(&record.credential_hash)
    .bind(to_nanos(record.created_at)?)
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => Ok(record),
        Err(e) if is_unique_violation(&e) => {
            if get_by(pool, Lookup::Name, &record.name).await?.is_some() {
                Err(StoreError::Conflict(format!(
                    "an agent named `{}` already exists",
                    record.name
                )))
            } else {
                Err(StoreError::Conflict(
                    "this credential is already assigned to another agent".to_string(),
                ))
            }
        }
        Err(e) => Err(StoreError::db("could not create the agent", e)),
    }
}

pub(super) async fn list(pool: &SqlitePool) -> Result<Vec<AgentRecord>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM agents ORDER BY name"))
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::db("could not list agents", e))?;
    rows.iter().map(decode).collect()
}

pub(super) async fn get_by(
    pool: &SqlitePool,
    lookup: Lookup,
    value: &str,
) -> Result<Option<AgentRecord>, StoreError> {
    let column = match lookup {
        Lookup::Id => "id",
        Lookup::Name => "name",
        Lookup::CredentialHash => "credential_hash",
    };
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM agents WHERE {column} = ?"))
        .bind(value)
        .fetch_optional(pool)
        .await
        .map_err(|e| StoreError::db("could not look up the agent", e))?;
    row.as_ref().map(decode).transpose()
}

pub(super) async fn revoke(pool: &SqlitePool, name: &str) -> Result<AgentRecord, StoreError> {
    let now = to_nanos(OffsetDateTime::now_utc())?;
    let row = sqlx::query(&format!(
        "UPDATE agents SET revoked_at = COALESCE(revoked_at, ?) WHERE name = ? RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(name)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not revoke the agent", e))?;
    match row {
        Some(row) => decode(&row),
        None => Err(not_found(name)),
    }
}

pub(super) async fn rotate(
    pool: &SqlitePool,
    name: &str,
    new_hash: &str,
) -> Result<AgentRecord, StoreError> {
    crate::validate::credential_hash(new_hash)?;
    let updated = sqlx::query(&format!(
        "UPDATE agents SET credential_hash = ? WHERE name = ? AND revoked_at IS NULL RETURNING {COLUMNS}"
    ))
    .bind(new_hash)
    .bind(name)
    .fetch_optional(pool)
    .await;
    match updated {
        Ok(Some(row)) => decode(&row),
        Ok(None) => match get_by(pool, Lookup::Name, name).await? {
            None => Err(not_found(name)),
            Some(_) => Err(StoreError::Conflict(format!(
                "agent `{name}` is revoked; its credential cannot be rotated"
            ))),
        },
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(
            "this credential is already assigned to another agent".to_string(),
        )),
        Err(e) => Err(StoreError::db("could not rotate the agent credential", e)),
    }
}

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound(format!("no agent named `{name}`"))
}

fn decode(row: &SqliteRow) -> Result<AgentRecord, StoreError> {
    let ctx = "agent row";
    let get_text = |col: &str| {
        row.try_get::<String, _>(col)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let labels_json = get_text("labels")?;
    let labels: BTreeMap<String, String> =
        serde_json::from_str(&labels_json).map_err(|e| StoreError::corrupt("agent labels", e))?;
    let revoked_at: Option<i64> = row
        .try_get("revoked_at")
        .map_err(|e| StoreError::db(ctx, e))?;
    Ok(AgentRecord {
        id: AgentId(get_text("id")?),
        name: get_text("name")?,
        role: get_text("role")?,
        labels,
        owner: row.try_get("owner").map_err(|e| StoreError::db(ctx, e))?,
        credential_hash: get_text("credential_hash")?,
        created_at: from_nanos(
            row.try_get("created_at")
                .map_err(|e| StoreError::db(ctx, e))?,
        )?,
        revoked_at: revoked_at.map(from_nanos).transpose()?,
    })
}
