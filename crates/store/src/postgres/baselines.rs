//! Persisted behavioural baselines: one JSON profile per `(kind, key)`,
//! `kind` being `agent` or `role`. A write replaces the stored profile
//! (upsert); the profiles themselves are opaque to the store.

use crate::timestamp::{from_nanos, to_nanos};
use crate::{BaselineKind, BaselineRecord, StoreError};
use sqlx::{PgPool, Row};

pub(super) async fn put(pool: &PgPool, records: &[BaselineRecord]) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let mut tx = pool
        .begin()
        .await
        .map_err(|e| StoreError::db("could not start a baseline write", e))?;
    for r in records {
        if r.key.is_empty() {
            return Err(StoreError::Invalid("baseline key must not be empty".into()));
        }
        sqlx::query(
            "INSERT INTO baselines (kind, key, json, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kind, key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
        )
        .bind(r.kind.as_str())
        .bind(&r.key)
        .bind(&r.json)
        .bind(to_nanos(r.updated_at)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::db("could not write a baseline", e))?;
    }
    tx.commit()
        .await
        .map_err(|e| StoreError::db("could not commit baselines", e))
}

pub(super) async fn list(pool: &PgPool) -> Result<Vec<BaselineRecord>, StoreError> {
    let rows = sqlx::query("SELECT kind, key, json, updated_at FROM baselines ORDER BY kind COLLATE \"C\", key COLLATE \"C\"")
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::db("could not read baselines", e))?;
    rows.iter().map(record).collect()
}

pub(super) async fn delete(
    pool: &PgPool,
    kind: BaselineKind,
    key: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM baselines WHERE kind = $1 AND key = $2")
        .bind(kind.as_str())
        .bind(key)
        .execute(pool)
        .await
        .map_err(|e| StoreError::db("could not delete a baseline", e))?;
    Ok(done.rows_affected() > 0)
}

fn record(row: &sqlx::postgres::PgRow) -> Result<BaselineRecord, StoreError> {
    let get = |e| StoreError::corrupt("baseline row", e);
    let kind: String = row.try_get("kind").map_err(get)?;
    let kind = BaselineKind::parse(&kind)
        .ok_or_else(|| StoreError::Invalid(format!("unknown baseline kind `{kind}`")))?;
    Ok(BaselineRecord {
        kind,
        key: row.try_get("key").map_err(get)?,
        json: row.try_get("json").map_err(get)?,
        updated_at: from_nanos(row.try_get("updated_at").map_err(get)?)?,
    })
}
