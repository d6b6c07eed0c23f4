//! Approval queries. Resolution and expiry are single conditional UPDATE
//! statements, so each approval leaves `pending` at most once even under
//! concurrent operators and expiry sweeps.

use crate::timestamp::{from_nanos, to_nanos};
use crate::{ApprovalRecord, ApprovalStatus, NewApproval, StoreError};
use behavry_core::{AgentId, CallKind, DecisionId, Reason};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use time::OffsetDateTime;

const COLUMNS: &str =
    "id, decision_id, agent_id, agent_name, method, upstream, tool, arguments, reasons, \
                       status, created_at, expires_at, decided_at, decided_by, decision_reason";

pub(super) async fn create(
    pool: &SqlitePool,
    new: NewApproval,
) -> Result<ApprovalRecord, StoreError> {
    if new.expires_at <= new.created_at {
        return Err(StoreError::Invalid(
            "approval must expire after it is created".to_string(),
        ));
    }
    let arguments = encode("approval arguments", &new.arguments)?;
    let reasons = encode("approval reasons", &new.reasons)?;
    let record = ApprovalRecord {
        id: uuid::Uuid::new_v4().to_string(),
        decision_id: new.decision_id,
        agent_id: new.agent_id,
        agent_name: new.agent_name,
        method: new.method,
        upstream: new.upstream,
        tool: new.tool,
        arguments: new.arguments,
        reasons: new.reasons,
        status: ApprovalStatus::Pending,
        created_at: new.created_at,
        expires_at: new.expires_at,
        decided_at: None,
        decided_by: None,
        decision_reason: None,
    };
    sqlx::query(&format!(
        "INSERT INTO approvals ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, NULL, NULL, NULL)"
    ))
    .bind(&record.id)
    .bind(&record.decision_id.0)
    .bind(&record.agent_id.0)
    .bind(&record.agent_name)
    .bind(record.method.method())
    .bind(&record.upstream)
    .bind(&record.tool)
    .bind(arguments)
    .bind(reasons)
    .bind(to_nanos(record.created_at)?)
    .bind(to_nanos(record.expires_at)?)
    .execute(pool)
    .await
    .map_err(|e| StoreError::db("could not create the approval", e))?;
    Ok(record)
}

pub(super) async fn get(pool: &SqlitePool, id: &str) -> Result<Option<ApprovalRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM approvals WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(|e| StoreError::db("could not read the approval", e))?;
    row.as_ref().map(decode).transpose()
}

pub(super) async fn list(
    pool: &SqlitePool,
    status: Option<ApprovalStatus>,
    limit: u32,
) -> Result<Vec<ApprovalRecord>, StoreError> {
    let filter = if status.is_some() {
        "WHERE status = ?"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM approvals {filter} ORDER BY created_at DESC, id DESC LIMIT ?"
    );
    let mut query = sqlx::query(&sql);
    if let Some(status) = status {
        query = query.bind(status.as_str());
    }
    let rows = query
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::db("could not list approvals", e))?;
    rows.iter().map(decode).collect()
}

pub(super) async fn resolve(
    pool: &SqlitePool,
    id: &str,
    new_status: ApprovalStatus,
    operator: Option<&str>,
    reason: Option<&str>,
) -> Result<ApprovalRecord, StoreError> {
    if new_status == ApprovalStatus::Pending {
        return Err(StoreError::Invalid(
            "an approval cannot be resolved back to pending".to_string(),
        ));
    }
    let now = to_nanos(OffsetDateTime::now_utc())?;
    // Approving requires the approval to be unexpired at this instant;
    // rejecting or expiring is always allowed while pending.
    let row = sqlx::query(&format!(
        "UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, decision_reason = ? \
         WHERE id = ? AND status = 'pending' AND (? <> 'approved' OR expires_at > ?) \
         RETURNING {COLUMNS}"
    ))
    .bind(new_status.as_str())
    .bind(now)
    .bind(operator)
    .bind(reason)
    .bind(id)
    .bind(new_status.as_str())
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not resolve the approval", e))?;
    if let Some(row) = row {
        return decode(&row);
    }
    match get(pool, id).await? {
        None => Err(StoreError::NotFound(format!("no approval with id `{id}`"))),
        Some(existing) if existing.status != ApprovalStatus::Pending => Err(StoreError::Conflict(
            format!("approval {id} is already {}", existing.status),
        )),
        Some(_) => Err(StoreError::Conflict(format!("approval {id} has expired"))),
    }
}

pub(super) async fn expire_due(
    pool: &SqlitePool,
    now: OffsetDateTime,
) -> Result<Vec<ApprovalRecord>, StoreError> {
    let now = to_nanos(now)?;
    let rows = sqlx::query(&format!(
        "UPDATE approvals SET status = 'expired', decided_at = ? \
         WHERE status = 'pending' AND expires_at <= ? RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(now)
    .fetch_all(pool)
    .await
    .map_err(|e| StoreError::db("could not expire approvals", e))?;
    let mut expired = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    expired.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(expired)
}

fn encode<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Invalid(format!("{what} could not be encoded: {e}")))
}

fn decode(row: &SqliteRow) -> Result<ApprovalRecord, StoreError> {
    let ctx = "approval row";
    let text = |col: &str| {
        row.try_get::<String, _>(col)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let opt_text = |col: &str| {
        row.try_get::<Option<String>, _>(col)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let nanos = |col: &str| {
        row.try_get::<i64, _>(col)
            .map_err(|e| StoreError::db(ctx, e))
    };
    let method_text = text("method")?;
    let method = CallKind::from_method(&method_text)
        .ok_or_else(|| StoreError::corrupt(ctx, format!("unknown method `{method_text}`")))?;
    let status_text = text("status")?;
    let status = ApprovalStatus::parse(&status_text)
        .ok_or_else(|| StoreError::corrupt(ctx, format!("unknown status `{status_text}`")))?;
    let arguments = serde_json::from_str(&text("arguments")?)
        .map_err(|e| StoreError::corrupt("approval arguments", e))?;
    let reasons: Vec<Reason> = serde_json::from_str(&text("reasons")?)
        .map_err(|e| StoreError::corrupt("approval reasons", e))?;
    let decided_at: Option<i64> = row
        .try_get("decided_at")
        .map_err(|e| StoreError::db(ctx, e))?;
    Ok(ApprovalRecord {
        id: text("id")?,
        decision_id: DecisionId(text("decision_id")?),
        agent_id: AgentId(text("agent_id")?),
        agent_name: text("agent_name")?,
        method,
        upstream: text("upstream")?,
        tool: text("tool")?,
        arguments,
        reasons,
        status,
        created_at: from_nanos(nanos("created_at")?)?,
        expires_at: from_nanos(nanos("expires_at")?)?,
        decided_at: decided_at.map(from_nanos).transpose()?,
        decided_by: opt_text("decided_by")?,
        decision_reason: opt_text("decision_reason")?,
    })
}
