//! Approval queries. Every state change is a single conditional UPDATE
//! (compare-and-set on `status`, and on `votes` for a vote), so each
//! approval leaves `pending` at most once even under concurrent operators,
//! expiry sweeps and several gateway processes.

use crate::timestamp::{from_nanos, to_nanos};
use crate::{ApprovalRecord, ApprovalStatus, NewApproval, NewVote, StoreError};
use behavry_core::{AgentId, CallKind, DecisionId, Reason};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use time::OffsetDateTime;

const COLUMNS: &str =
    "id, decision_id, agent_id, agent_name, agent_owner, method, upstream, tool, \
     arguments, call_hash, rule, context, reasons, status, votes, escalated, edited_arguments, \
     created_at, expires_at, decided_at, decided_by, decision_reason, collected_at";

/// Attempts of a vote's compare-and-set before reporting a conflict.
const VOTE_ATTEMPTS: usize = 8;

pub(super) async fn create(
    pool: &SqlitePool,
    new: NewApproval,
) -> Result<ApprovalRecord, StoreError> {
    if new.expires_at <= new.created_at {
        return Err(StoreError::Invalid(
            "approval must expire after it is created".to_string(),
        ));
    }
    let record = ApprovalRecord {
        id: uuid::Uuid::new_v4().to_string(),
        decision_id: new.decision_id,
        agent_id: new.agent_id,
        agent_name: new.agent_name,
        agent_owner: new.agent_owner,
        method: new.method,
        upstream: new.upstream,
        tool: new.tool,
        arguments: new.arguments,
        call_hash: new.call_hash,
        rule: new.rule,
        context: new.context,
        reasons: new.reasons,
        status: ApprovalStatus::Pending,
        votes: Vec::new(),
        escalated: false,
        edited_arguments: None,
        created_at: new.created_at,
        expires_at: new.expires_at,
        decided_at: None,
        decided_by: None,
        decision_reason: None,
        collected_at: None,
    };
    sqlx::query(&format!(
        "INSERT INTO approvals ({COLUMNS}) VALUES \
         (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', '[]', 0, NULL, ?, ?, NULL, NULL, NULL, NULL)"
    ))
    .bind(&record.id)
    .bind(&record.decision_id.0)
    .bind(&record.agent_id.0)
    .bind(&record.agent_name)
    .bind(&record.agent_owner)
    .bind(record.method.method())
    .bind(&record.upstream)
    .bind(&record.tool)
    .bind(encode("approval arguments", &record.arguments)?)
    .bind(&record.call_hash)
    .bind(encode("approval rule", &record.rule)?)
    .bind(encode("approval context", &record.context)?)
    .bind(encode("approval reasons", &record.reasons)?)
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
    Err(not_pending(pool, id).await)
}

/// Record one operator's vote. A deny rejects at once; enough distinct
/// approvals approve. Compare-and-set on the votes column, retried when a
/// concurrent vote won the race.
pub(super) async fn vote(
    pool: &SqlitePool,
    id: &str,
    vote: NewVote,
) -> Result<ApprovalRecord, StoreError> {
    for _ in 0..VOTE_ATTEMPTS {
        let current = get(pool, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no approval with id `{id}`")))?;
        let now = OffsetDateTime::now_utc();
        let outcome = crate::validate::apply_vote(&current, &vote, now)?;
        let (votes, status, decided) = (&outcome.votes, outcome.status, outcome.decided());
        let edited = vote
            .edited_arguments
            .as_ref()
            .map(|a| encode("edited arguments", a))
            .transpose()?;
        let row = sqlx::query(&format!(
            "UPDATE approvals SET votes = ?, status = ?, \
             decided_at = CASE WHEN ? THEN ? ELSE decided_at END, \
             decided_by = CASE WHEN ? THEN ? ELSE decided_by END, \
             decision_reason = CASE WHEN ? THEN ? ELSE decision_reason END, \
             edited_arguments = COALESCE(?, edited_arguments) \
             WHERE id = ? AND status = 'pending' AND votes = ? AND expires_at > ? \
             RETURNING {COLUMNS}"
        ))
        .bind(encode("approval votes", votes)?)
        .bind(status.as_str())
        .bind(decided)
        .bind(to_nanos(now)?)
        .bind(decided)
        .bind(&vote.operator)
        .bind(decided)
        .bind(&vote.reason)
        .bind(edited)
        .bind(id)
        .bind(encode("approval votes", &current.votes)?)
        .bind(to_nanos(now)?)
        .fetch_optional(pool)
        .await
        .map_err(|e| StoreError::db("could not record the vote", e))?;
        if let Some(row) = row {
            return decode(&row);
        }
    }
    Err(StoreError::Conflict(format!(
        "approval {id} changed while voting; try again"
    )))
}

async fn not_pending(pool: &SqlitePool, id: &str) -> StoreError {
    match get(pool, id).await {
        Ok(None) => StoreError::NotFound(format!("no approval with id `{id}`")),
        Ok(Some(existing)) if existing.status != ApprovalStatus::Pending => {
            StoreError::Conflict(format!("approval {id} is already {}", existing.status))
        }
        Ok(Some(_)) => StoreError::Conflict(format!("approval {id} has expired")),
        Err(e) => e,
    }
}

/// The newest approval of this agent for this exact call created at or
/// after `since` that is pending or decided but not yet collected.
pub(super) async fn find_open_for_call(
    pool: &SqlitePool,
    agent: &AgentId,
    call_hash: &str,
    since: OffsetDateTime,
) -> Result<Option<ApprovalRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM approvals WHERE agent_id = ? AND call_hash = ? AND created_at >= ? \
         AND collected_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1"
    ))
    .bind(&agent.0)
    .bind(call_hash)
    .bind(to_nanos(since)?)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not look up approvals for the call", e))?;
    row.as_ref().map(decode).transpose()
}

/// Mark a decided approval as collected by a retried call; `Conflict` when
/// it is pending or was collected already.
pub(super) async fn collect(pool: &SqlitePool, id: &str) -> Result<ApprovalRecord, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE approvals SET collected_at = ? WHERE id = ? AND status <> 'pending' \
         AND collected_at IS NULL RETURNING {COLUMNS}"
    ))
    .bind(to_nanos(OffsetDateTime::now_utc())?)
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(|e| StoreError::db("could not collect the approval", e))?;
    match row {
        Some(row) => decode(&row),
        None => Err(StoreError::Conflict(format!(
            "approval {id} is pending or already collected"
        ))),
    }
}

pub(super) async fn count_pending(pool: &SqlitePool, agent: &AgentId) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM approvals WHERE agent_id = ? AND status = 'pending'",
    )
    .bind(&agent.0)
    .fetch_one(pool)
    .await
    .map_err(|e| StoreError::db("could not count pending approvals", e))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Flag a pending approval as escalated; `false` when it already was or is
/// no longer pending (so exactly one caller announces the escalation).
pub(super) async fn mark_escalated(pool: &SqlitePool, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE approvals SET escalated = 1 WHERE id = ? AND status = 'pending' AND escalated = 0",
    )
    .bind(id)
    .execute(pool)
    .await
    .map_err(|e| StoreError::db("could not escalate the approval", e))?;
    Ok(done.rows_affected() == 1)
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

pub(super) fn encode<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
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
    let opt_nanos = |col: &str| {
        row.try_get::<Option<i64>, _>(col)
            .map_err(|e| StoreError::db(ctx, e))
    };
    fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
        serde_json::from_str(text).map_err(|e| StoreError::corrupt(what, e))
    }
    let method_text = text("method")?;
    let method = CallKind::from_method(&method_text)
        .ok_or_else(|| StoreError::corrupt(ctx, format!("unknown method `{method_text}`")))?;
    let status_text = text("status")?;
    let status = ApprovalStatus::parse(&status_text)
        .ok_or_else(|| StoreError::corrupt(ctx, format!("unknown status `{status_text}`")))?;
    let reasons: Vec<Reason> = json("approval reasons", &text("reasons")?)?;
    let edited_arguments = opt_text("edited_arguments")?
        .map(|t| json("edited arguments", &t))
        .transpose()?;
    Ok(ApprovalRecord {
        id: text("id")?,
        decision_id: DecisionId(text("decision_id")?),
        agent_id: AgentId(text("agent_id")?),
        agent_name: text("agent_name")?,
        agent_owner: opt_text("agent_owner")?,
        method,
        upstream: text("upstream")?,
        tool: text("tool")?,
        arguments: json("approval arguments", &text("arguments")?)?,
        call_hash: text("call_hash")?,
        rule: json("approval rule", &text("rule")?)?,
        context: json("approval context", &text("context")?)?,
        reasons,
        status,
        votes: json("approval votes", &text("votes")?)?,
        escalated: nanos("escalated")? != 0,
        edited_arguments,
        created_at: from_nanos(nanos("created_at")?)?,
        expires_at: from_nanos(nanos("expires_at")?)?,
        decided_at: opt_nanos("decided_at")?.map(from_nanos).transpose()?,
        decided_by: opt_text("decided_by")?,
        decision_reason: opt_text("decision_reason")?,
        collected_at: opt_nanos("collected_at")?.map(from_nanos).transpose()?,
    })
}
