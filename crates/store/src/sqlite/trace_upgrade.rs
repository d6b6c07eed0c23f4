//! Chaining trace rows written before the hash chain existed.
//!
//! Rows from before migration `0002_trace_chain` have no `prev_hash` and
//! `hash`. When the store is opened they are chained once, in sequence
//! order, exactly as the writer would have chained them, in transactions of
//! [`CHUNK`] rows. The table's trigger allows this one update: filling the
//! two columns while both are still empty. Afterwards every row is chained
//! and the writer continues from the head.

use crate::StoreError;
use behavry_trace::{record_hash, TraceHash};
use sqlx::{Connection as _, SqliteConnection};

/// Rows chained per transaction.
const CHUNK: i64 = 10_000;

/// Chain every unchained row; returns how many were chained.
pub(crate) async fn chain_unchained_rows(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    let fail = |e| StoreError::db("could not chain earlier trace records", e);
    let mut chained = 0;
    loop {
        let first: Option<i64> =
            sqlx::query_scalar("SELECT MIN(seq) FROM trace_events WHERE hash IS NULL")
                .fetch_one(&mut *conn)
                .await
                .map_err(fail)?;
        let Some(first) = first else {
            return Ok(chained);
        };
        let mut tx = conn.begin().await.map_err(fail)?;
        let previous: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT seq, hash FROM trace_events WHERE seq < ? ORDER BY seq DESC LIMIT 1",
        )
        .bind(first)
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?;
        let mut prev = match previous {
            None => TraceHash::GENESIS,
            Some((_, Some(hash))) => TraceHash::from_hex(&hash).map_err(|_| {
                StoreError::Corrupt(format!("trace record before {first} has a malformed hash"))
            })?,
            Some((seq, None)) => {
                return Err(StoreError::Corrupt(format!(
                    "trace record {seq} is not chained"
                )))
            }
        };
        let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT seq, body, hash FROM trace_events WHERE seq >= ? ORDER BY seq LIMIT ?",
        )
        .bind(first)
        .bind(CHUNK)
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?;
        for (seq, body, hash) in rows {
            if hash.is_some() {
                // A chained row after unchained ones: the writer only ever
                // appends chained rows after the head, so this is damage.
                return Err(StoreError::Corrupt(format!(
                    "trace record {seq} is chained but an earlier record is not"
                )));
            }
            let seq_u = u64::try_from(seq)
                .map_err(|_| StoreError::Corrupt(format!("trace sequence {seq} is negative")))?;
            let hash = record_hash(seq_u, &prev, &body)
                .map_err(|e| StoreError::Corrupt(format!("trace record {seq}: {e}")))?;
            sqlx::query("UPDATE trace_events SET prev_hash = ?, hash = ? WHERE seq = ?")
                .bind(prev.to_hex())
                .bind(hash.to_hex())
                .bind(seq)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
            prev = hash;
            chained += 1;
        }
        tx.commit().await.map_err(fail)?;
    }
}
