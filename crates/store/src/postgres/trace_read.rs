//! Reading the Decision Trace. Rows come back in ascending sequence order.
//! [`records`] returns rows exactly as stored, chain fields included, for
//! verification and proofs: nothing is decoded or repaired on the way.

use crate::StoreError;
use behavry_core::{DecisionId, TraceEvent};
use behavry_trace::StoredRecord;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

pub(super) async fn tail(
    pool: &PgPool,
    after_seq: Option<u64>,
    limit: u32,
) -> Result<Vec<(u64, TraceEvent)>, StoreError> {
    let limit = i64::from(limit);
    let rows = match after_seq {
        Some(after) => {
            let Ok(after) = i64::try_from(after) else {
                return Ok(Vec::new());
            };
            sqlx::query("SELECT seq, body FROM trace_events WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await
        }
        None => {
            sqlx::query(
                "SELECT seq, body FROM (SELECT seq, body FROM trace_events ORDER BY seq DESC LIMIT $1) AS newest ORDER BY seq",
            )
            .bind(limit)
            .fetch_all(pool)
            .await
        }
    }
    .map_err(|e| StoreError::db("could not read the decision trace", e))?;
    rows.iter().map(decode).collect()
}

pub(super) async fn for_decision(
    pool: &PgPool,
    decision_id: &DecisionId,
) -> Result<Vec<(u64, TraceEvent)>, StoreError> {
    let rows =
        sqlx::query("SELECT seq, body FROM trace_events WHERE decision_id = $1 ORDER BY seq")
            .bind(&decision_id.0)
            .fetch_all(pool)
            .await
            .map_err(|e| StoreError::db("could not read the decision trace", e))?;
    rows.iter().map(decode).collect()
}

pub(super) async fn latest_seq(pool: &PgPool) -> Result<Option<u64>, StoreError> {
    let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM trace_events")
        .fetch_one(pool)
        .await
        .map_err(|e| StoreError::db("could not read the decision trace", e))?;
    last.map(to_seq).transpose()
}

/// seq, decision_id, kind, time, body, prev_hash, hash.
type RecordRow = (
    i64,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
);

pub(super) async fn records(
    pool: &PgPool,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<StoredRecord>, StoreError> {
    let Ok(after) = i64::try_from(after_seq) else {
        return Ok(Vec::new());
    };
    let rows: Vec<RecordRow> = sqlx::query_as(
        "SELECT seq, decision_id, kind, time, body, prev_hash, hash FROM trace_events \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(|e| StoreError::db("could not read the decision trace", e))?;
    rows.into_iter()
        .map(
            |(seq, decision_id, kind, time_nanos, body, prev_hash, hash)| {
                Ok(StoredRecord {
                    seq: to_seq(seq)?,
                    decision_id,
                    kind,
                    time_nanos,
                    body,
                    prev_hash: prev_hash.unwrap_or_default(),
                    hash: hash.unwrap_or_default(),
                })
            },
        )
        .collect()
}

fn to_seq(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("trace sequence {seq} is negative")))
}

fn decode(row: &PgRow) -> Result<(u64, TraceEvent), StoreError> {
    let seq: i64 = row
        .try_get("seq")
        .map_err(|e| StoreError::db("trace row", e))?;
    let body: String = row
        .try_get("body")
        .map_err(|e| StoreError::db("trace row", e))?;
    let event = serde_json::from_str(&body)
        .map_err(|e| StoreError::Corrupt(format!("trace event {seq} could not be decoded: {e}")))?;
    Ok((to_seq(seq)?, event))
}
