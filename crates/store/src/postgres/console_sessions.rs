//! Console sessions, keyed by the SHA-256 of the session id the browser
//! holds (the id itself never reaches the store). Sessions of one operator
//! are ended together by [`super::operators`] when the operator is disabled
//! or changes password.

use crate::error::is_unique_violation;
use crate::timestamp::{from_nanos, to_nanos};
use crate::{ConsoleSessionRecord, NewConsoleSession, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;

const SESSION_COLUMNS: &str = "id_hash, operator_id, created_at, last_seen_at, expires_at";

pub(super) async fn create_session(
    pool: &PgPool,
    session: NewConsoleSession,
) -> Result<ConsoleSessionRecord, StoreError> {
    crate::validate::session_id_hash(&session.id_hash)?;
    if session.expires_at <= session.created_at {
        return Err(StoreError::Invalid(
            "a session must expire after it is created".to_string(),
        ));
    }
    let inserted = sqlx::query(&format!(
        "INSERT INTO console_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"
    ))
    .bind(&session.id_hash)
    .bind(&session.operator_id)
    .bind(to_nanos(session.created_at)?)
    .bind(to_nanos(session.created_at)?)
    .bind(to_nanos(session.expires_at)?)
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => Ok(ConsoleSessionRecord {
            id_hash: session.id_hash,
            operator_id: session.operator_id,
            created_at: session.created_at,
            last_seen_at: session.created_at,
            expires_at: session.expires_at,
        }),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(
            "this session id is already in use".to_string(),
        )),
        Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Err(
            StoreError::NotFound("the session's operator does not exist".to_string()),
        ),
        Err(e) => Err(StoreError::db("could not create the session", e)),
    }
}

pub(super) async fn get_session(
    pool: &PgPool,
    id_hash: &str,
) -> Result<Option<ConsoleSessionRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM console_sessions WHERE id_hash = $1"
    ))
    .bind(id_hash)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not look up the session", e))?;
    row.as_ref().map(decode_session).transpose()
}

/// Move `last_seen_at` forward (never back).
pub(super) async fn touch_session(
    pool: &PgPool,
    id_hash: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE console_sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id_hash = $2",
    )
    .bind(to_nanos(now)?)
    .bind(id_hash)
    .execute(pool)
    .await
    .map_err(|e| StoreError::db("could not update the session", e))?;
    Ok(())
}

pub(super) async fn delete_session(pool: &PgPool, id_hash: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(pool)
        .await
        .map_err(|e| StoreError::db("could not end the session", e))?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn delete_stale_sessions(
    pool: &PgPool,
    now: OffsetDateTime,
    idle_before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done =
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(to_nanos(now)?)
            .bind(to_nanos(idle_before)?)
            .execute(pool)
            .await
            .map_err(|e| StoreError::db("could not remove stale sessions", e))?;
    Ok(done.rows_affected())
}

fn decode_session(row: &PgRow) -> Result<ConsoleSessionRecord, StoreError> {
    let ctx = "session row";
    let nanos = |col: &str| {
        row.try_get::<i64, _>(col)
            .map_err(|e| StoreError::db(ctx, e))
            .and_then(from_nanos)
    };
    Ok(ConsoleSessionRecord {
        id_hash: row.try_get("id_hash").map_err(|e| StoreError::db(ctx, e))?,
        operator_id: row
            .try_get("operator_id")
            .map_err(|e| StoreError::db(ctx, e))?,
        created_at: nanos("created_at")?,
        last_seen_at: nanos("last_seen_at")?,
        expires_at: nanos("expires_at")?,
    })
}
