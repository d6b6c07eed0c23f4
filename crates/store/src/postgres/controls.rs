//! Scoped grants and kill switches. Both are small tables read whole into
//! the gateway's snapshots; changes are single statements.

use crate::timestamp::{from_nanos, to_nanos};
use crate::{Grant, KillRecord, NewGrant, NewKill, StoreError};
use behavry_core::{AgentId, KillScope};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;

const GRANT_COLUMNS: &str = "id, agent_id, agent_name, upstream, tool, argument_pattern, \
     approval_id, created_by, created_at, expires_at, revoked_at";
const KILL_COLUMNS: &str =
    "id, scope, target, reason, engaged_by, engaged_at, released_at, released_by";

pub(super) async fn create_grant(pool: &PgPool, new: NewGrant) -> Result<Grant, StoreError> {
    if new.expires_at <= new.created_at {
        return Err(StoreError::Invalid(
            "a grant must expire after it is created".into(),
        ));
    }
    let grant = Grant {
        id: uuid::Uuid::new_v4().to_string(),
        agent_id: new.agent_id,
        agent_name: new.agent_name,
        upstream: new.upstream,
        tool: new.tool,
        argument_pattern: new.argument_pattern,
        approval_id: new.approval_id,
        created_by: new.created_by,
        created_at: new.created_at,
        expires_at: new.expires_at,
        revoked_at: None,
    };
    sqlx::query(&format!(
        "INSERT INTO approval_grants ({GRANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)"
    ))
    .bind(&grant.id)
    .bind(&grant.agent_id.0)
    .bind(&grant.agent_name)
    .bind(&grant.upstream)
    .bind(&grant.tool)
    .bind(&grant.argument_pattern)
    .bind(&grant.approval_id)
    .bind(&grant.created_by)
    .bind(to_nanos(grant.created_at)?)
    .bind(to_nanos(grant.expires_at)?)
    .execute(pool)
    .await
    .map_err(|e| StoreError::db("could not create the grant", e))?;
    Ok(grant)
}

/// Grants not revoked and not expired at `now`, oldest first.
pub(super) async fn active_grants(
    pool: &PgPool,
    now: OffsetDateTime,
) -> Result<Vec<Grant>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {GRANT_COLUMNS} FROM approval_grants WHERE revoked_at IS NULL AND expires_at > $1 \
         ORDER BY created_at, id COLLATE \"C\""
    ))
    .bind(to_nanos(now)?)
    .fetch_all(pool)
    .await
    .map_err(|e| StoreError::db("could not list grants", e))?;
    rows.iter().map(decode_grant).collect()
}

pub(super) async fn revoke_grant(pool: &PgPool, id: &str) -> Result<Grant, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE approval_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
         RETURNING {GRANT_COLUMNS}"
    ))
    .bind(to_nanos(OffsetDateTime::now_utc())?)
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not revoke the grant", e))?;
    match row {
        Some(row) => decode_grant(&row),
        None => Err(not_changed(pool, "approval_grants", "grant", id, "revoked").await),
    }
}

pub(super) async fn engage_kill(pool: &PgPool, new: NewKill) -> Result<KillRecord, StoreError> {
    if new.reason.trim().is_empty() {
        return Err(StoreError::Invalid("a kill switch needs a reason".into()));
    }
    if (new.scope == KillScope::Global) != new.target.is_none() {
        return Err(StoreError::Invalid(
            "a global kill switch has no target; every other scope needs one".into(),
        ));
    }
    let record = KillRecord {
        id: uuid::Uuid::new_v4().to_string(),
        scope: new.scope,
        target: new.target,
        reason: new.reason,
        engaged_by: new.engaged_by,
        engaged_at: OffsetDateTime::now_utc(),
        released_at: None,
        released_by: None,
    };
    sqlx::query(&format!(
        "INSERT INTO kill_switches ({KILL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)"
    ))
    .bind(&record.id)
    .bind(record.scope.as_str())
    .bind(&record.target)
    .bind(&record.reason)
    .bind(&record.engaged_by)
    .bind(to_nanos(record.engaged_at)?)
    .execute(pool)
    .await
    .map_err(|e| StoreError::db("could not engage the kill switch", e))?;
    Ok(record)
}

pub(super) async fn release_kill(
    pool: &PgPool,
    id: &str,
    operator: &str,
) -> Result<KillRecord, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE kill_switches SET released_at = $1, released_by = $2 WHERE id = $3 \
         AND released_at IS NULL RETURNING {KILL_COLUMNS}"
    ))
    .bind(to_nanos(OffsetDateTime::now_utc())?)
    .bind(operator)
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not release the kill switch", e))?;
    match row {
        Some(row) => decode_kill(&row),
        None => Err(not_changed(pool, "kill_switches", "kill switch", id, "released").await),
    }
}

/// Engaged (unreleased) kill switches, oldest first.
pub(super) async fn engaged_kills(pool: &PgPool) -> Result<Vec<KillRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {KILL_COLUMNS} FROM kill_switches WHERE released_at IS NULL ORDER BY engaged_at, id COLLATE \"C\""
    ))
    .fetch_all(pool)
    .await
    .map_err(|e| StoreError::db("could not list kill switches", e))?;
    rows.iter().map(decode_kill).collect()
}

/// Why a one-way update (revoke, release) changed no row: the id is
/// unknown (`NotFound`) or the change was already made (`Conflict`).
/// `table` is one of this module's constants, never input.
async fn not_changed(
    pool: &PgPool,
    table: &'static str,
    what: &str,
    id: &str,
    done: &str,
) -> StoreError {
    let exists =
        sqlx::query_scalar::<_, i64>(&format!("SELECT 1::bigint FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await;
    match exists {
        Ok(Some(_)) => StoreError::Conflict(format!("{what} {id} is already {done}")),
        Ok(None) => StoreError::NotFound(format!("no {what} with id `{id}`")),
        Err(e) => StoreError::db(&format!("could not read the {what}"), e),
    }
}

fn decode_grant(row: &PgRow) -> Result<Grant, StoreError> {
    let ctx = "grant row";
    let s = |c: &str| {
        row.try_get::<String, _>(c)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let os = |c: &str| {
        row.try_get::<Option<String>, _>(c)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let n = |c: &str| row.try_get::<i64, _>(c).map_err(|e| StoreError::db(ctx, e));
    let on = |c: &str| {
        row.try_get::<Option<i64>, _>(c)
            .map_err(|e| StoreError::db(ctx, e))
    };
    Ok(Grant {
        id: s("id")?,
        agent_id: AgentId(s("agent_id")?),
        agent_name: s("agent_name")?,
        upstream: s("upstream")?,
        tool: s("tool")?,
        argument_pattern: os("argument_pattern")?,
        approval_id: os("approval_id")?,
        created_by: s("created_by")?,
        created_at: from_nanos(n("created_at")?)?,
        expires_at: from_nanos(n("expires_at")?)?,
        revoked_at: on("revoked_at")?.map(from_nanos).transpose()?,
    })
}

fn decode_kill(row: &PgRow) -> Result<KillRecord, StoreError> {
    let ctx = "kill switch row";
    let s = |c: &str| {
        row.try_get::<String, _>(c)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let os = |c: &str| {
        row.try_get::<Option<String>, _>(c)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let scope_text = s("scope")?;
    let scope = KillScope::parse(&scope_text)
        .ok_or_else(|| StoreError::corrupt(ctx, format!("unknown scope `{scope_text}`")))?;
    let released_at: Option<i64> = row
        .try_get("released_at")
        .map_err(|e| StoreError::db(ctx, e))?;
    Ok(KillRecord {
        id: s("id")?,
        scope,
        target: os("target")?,
        reason: s("reason")?,
        engaged_by: s("engaged_by")?,
        engaged_at: from_nanos(
            row.try_get::<i64, _>("engaged_at")
                .map_err(|e| StoreError::db(ctx, e))?,
        )?,
        released_at: released_at.map(from_nanos).transpose()?,
        released_by: os("released_by")?,
    })
}
