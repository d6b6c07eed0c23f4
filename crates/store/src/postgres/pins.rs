//! Pinned tool definitions (`tool_pins`). Every change is one statement
//! guarded by the row's current state, so concurrent list requests that
//! see the same new tool cannot both pin it, and an approval applies only
//! to the pending definition the operator saw.

use crate::timestamp::{from_nanos, to_nanos};
use crate::{NewToolPin, PinStatus, StoreError, ToolPin};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;

const COLUMNS: &str = "upstream, tool, hash, definition, status, pending_hash, \
     pending_definition, reason, first_seen, changed_at, approved_by, approved_at";

fn json_text(v: &Value) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(format!("definition: {e}")))
}

pub(super) async fn create(pool: &PgPool, new: NewToolPin) -> Result<ToolPin, StoreError> {
    let seen = to_nanos(new.seen_at)?;
    let definition = json_text(&new.definition)?;
    let held = new.held.is_some();
    let (hash, approved, status, pending_hash, pending_def) = if held {
        (
            String::new(),
            "null".to_string(),
            PinStatus::Changed,
            Some(new.hash.clone()),
            Some(definition),
        )
    } else {
        (new.hash.clone(), definition, PinStatus::Pinned, None, None)
    };
    let row = sqlx::query(&format!(
        "INSERT INTO tool_pins ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL) \
         ON CONFLICT (upstream, tool) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(&new.upstream)
    .bind(&new.tool)
    .bind(&hash)
    .bind(&approved)
    .bind(status.as_str())
    .bind(&pending_hash)
    .bind(&pending_def)
    .bind(&new.held)
    .bind(seen)
    .bind(held.then_some(seen))
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not pin the tool", e))?;
    match row {
        Some(row) => decode(&row),
        None => Err(StoreError::Conflict(format!(
            "tool {}.{} is already pinned",
            new.upstream, new.tool
        ))),
    }
}

pub(super) async fn get(
    pool: &PgPool,
    upstream: &str,
    tool: &str,
) -> Result<Option<ToolPin>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM tool_pins WHERE upstream = $1 AND tool = $2"
    ))
    .bind(upstream)
    .bind(tool)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not read the tool pin", e))?;
    row.as_ref().map(decode).transpose()
}

pub(super) async fn list(
    pool: &PgPool,
    status: Option<PinStatus>,
) -> Result<Vec<ToolPin>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM tool_pins WHERE ($1 IS NULL OR status = $2) ORDER BY upstream COLLATE \"C\", tool COLLATE \"C\""
    ))
    .bind(status.map(PinStatus::as_str))
    .bind(status.map(PinStatus::as_str))
    .fetch_all(pool)
    .await
    .map_err(|e| StoreError::db("could not list tool pins", e))?;
    rows.iter().map(decode).collect()
}

pub(super) async fn mark_changed(
    pool: &PgPool,
    upstream: &str,
    tool: &str,
    pending_hash: &str,
    pending_definition: &Value,
    reason: &str,
) -> Result<ToolPin, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE tool_pins SET status = 'changed', pending_hash = $1, pending_definition = $2, \
         reason = $3, changed_at = $4 WHERE upstream = $5 AND tool = $6 RETURNING {COLUMNS}"
    ))
    .bind(pending_hash)
    .bind(json_text(pending_definition)?)
    .bind(reason)
    .bind(to_nanos(OffsetDateTime::now_utc())?)
    .bind(upstream)
    .bind(tool)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not record the changed tool", e))?;
    match row {
        Some(row) => decode(&row),
        None => Err(StoreError::NotFound(format!("tool pin {upstream}.{tool}"))),
    }
}

pub(super) async fn approve(
    pool: &PgPool,
    upstream: &str,
    tool: &str,
    approved_by: &str,
    expected_hash: Option<&str>,
) -> Result<ToolPin, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE tool_pins SET status = 'pinned', hash = pending_hash, \
         definition = pending_definition, pending_hash = NULL, pending_definition = NULL, \
         reason = NULL, approved_by = $1, approved_at = $2 \
         WHERE upstream = $3 AND tool = $4 AND status = 'changed' AND pending_hash IS NOT NULL \
         AND ($5 IS NULL OR pending_hash = $6) RETURNING {COLUMNS}"
    ))
    .bind(approved_by)
    .bind(to_nanos(OffsetDateTime::now_utc())?)
    .bind(upstream)
    .bind(tool)
    .bind(expected_hash)
    .bind(expected_hash)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not approve the tool definition", e))?;
    if let Some(row) = row {
        return decode(&row);
    }
    match get(pool, upstream, tool).await? {
        None => Err(StoreError::NotFound(format!("tool pin {upstream}.{tool}"))),
        Some(pin) if pin.status == PinStatus::Pinned => Err(StoreError::Conflict(format!(
            "tool {upstream}.{tool} has no changed definition to approve"
        ))),
        Some(_) => Err(StoreError::Conflict(format!(
            "the pending definition of {upstream}.{tool} is not the one approved (it changed again)"
        ))),
    }
}

fn decode(row: &PgRow) -> Result<ToolPin, StoreError> {
    let ctx = "tool pin row";
    let s = |c: &str| {
        row.try_get::<String, _>(c)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let os = |c: &str| {
        row.try_get::<Option<String>, _>(c)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let on = |c: &str| {
        row.try_get::<Option<i64>, _>(c)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let json = |text: &str| -> Result<Value, StoreError> {
        serde_json::from_str(text).map_err(|e| StoreError::corrupt(ctx, e))
    };
    let status = s("status")?;
    Ok(ToolPin {
        upstream: s("upstream")?,
        tool: s("tool")?,
        hash: s("hash")?,
        definition: json(&s("definition")?)?,
        status: PinStatus::parse(&status)
            .ok_or_else(|| StoreError::corrupt(ctx, format!("status `{status}`")))?,
        pending_hash: os("pending_hash")?,
        pending_definition: os("pending_definition")?.as_deref().map(json).transpose()?,
        reason: os("reason")?,
        first_seen: from_nanos(
            row.try_get::<i64, _>("first_seen")
                .map_err(|e| StoreError::db(ctx, e))?,
        )?,
        changed_at: on("changed_at")?.map(from_nanos).transpose()?,
        approved_by: os("approved_by")?,
        approved_at: on("approved_at")?.map(from_nanos).transpose()?,
    })
}
