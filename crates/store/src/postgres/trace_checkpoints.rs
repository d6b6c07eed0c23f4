//! Signed trace checkpoints: append (contiguous, matching the stored chain)
//! and read. Signatures are made and checked by `behavry_trace`; the store
//! only keeps checkpoints in order and refuses one that does not continue
//! the previous checkpoint or does not end on the stored record hash.

use crate::error::is_unique_violation;
use crate::StoreError;
use behavry_trace::{Checkpoint, TraceHash};
use sqlx::PgPool;

const COLUMNS: &str =
    "first_seq, last_seq, tree_size, merkle_root, last_hash, time, key_id, signature";

type Row = (i64, i64, i64, String, String, String, String, String);

/// One statement: inserted only when it starts right after the latest
/// checkpoint and ends on the stored hash of its last record.
const INSERT: &str = "INSERT INTO trace_checkpoints \
     (first_seq, last_seq, tree_size, merkle_root, last_hash, time, key_id, signature) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8 \
     WHERE COALESCE((SELECT MAX(last_seq) FROM trace_checkpoints), 0) + 1 = $1 \
       AND (SELECT hash FROM trace_events WHERE seq = $2) = $5";

pub(super) async fn append(pool: &PgPool, cp: &Checkpoint) -> Result<(), StoreError> {
    let first = to_i64(cp.first_seq)?;
    let last = to_i64(cp.last_seq)?;
    let inserted = match sqlx::query(INSERT)
        .bind(first)
        .bind(last)
        .bind(to_i64(cp.tree_size)?)
        .bind(cp.merkle_root.to_hex())
        .bind(cp.last_hash.to_hex())
        .bind(&cp.time)
        .bind(&cp.key_id)
        .bind(&cp.signature)
        .execute(pool)
        .await
    {
        Ok(done) => done.rows_affected(),
        // Another replica stored a checkpoint over the same range first.
        Err(e) if is_unique_violation(&e) => 0,
        Err(e) => return Err(StoreError::db("could not store the trace checkpoint", e)),
    };
    if inserted == 1 {
        return Ok(());
    }
    let sealed = latest(pool).await?.map_or(0, |c| c.last_seq);
    if cp.first_seq != sealed + 1 {
        return Err(StoreError::Conflict(format!(
            "a checkpoint must start at record {}, not {}",
            sealed + 1,
            cp.first_seq
        )));
    }
    Err(StoreError::Conflict(format!(
        "the checkpoint's last hash is not the stored hash of record {}",
        cp.last_seq
    )))
}

pub(super) async fn list(
    pool: &PgPool,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<Checkpoint>, StoreError> {
    let Ok(after) = i64::try_from(after_seq) else {
        return Ok(Vec::new());
    };
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trace_checkpoints WHERE last_seq > $1 ORDER BY last_seq LIMIT $2"
    ))
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(read_failed)?;
    rows.into_iter().map(decode).collect()
}

pub(super) async fn covering(pool: &PgPool, seq: u64) -> Result<Option<Checkpoint>, StoreError> {
    let Ok(at) = i64::try_from(seq) else {
        return Ok(None);
    };
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trace_checkpoints WHERE last_seq >= $1 ORDER BY last_seq LIMIT 1"
    ))
    .bind(at)
    .fetch_optional(pool)
    .await
    .map_err(read_failed)?;
    Ok(row
        .map(decode)
        .transpose()?
        .filter(|cp| cp.first_seq <= seq))
}

pub(super) async fn latest(pool: &PgPool) -> Result<Option<Checkpoint>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trace_checkpoints ORDER BY last_seq DESC LIMIT 1"
    ))
    .fetch_optional(pool)
    .await
    .map_err(read_failed)?;
    row.map(decode).transpose()
}

fn read_failed(e: sqlx::Error) -> StoreError {
    StoreError::db("could not read trace checkpoints", e)
}

fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(format!("sequence number {n} is too large")))
}

fn decode(row: Row) -> Result<Checkpoint, StoreError> {
    let (first, last, size, root, last_hash, time, key_id, signature) = row;
    let seq = |n: i64| {
        u64::try_from(n)
            .map_err(|_| StoreError::Corrupt(format!("checkpoint sequence {n} is negative")))
    };
    let hash = |h: &str| {
        TraceHash::from_hex(h).map_err(|_| {
            StoreError::Corrupt(format!("checkpoint ending at {last} has a malformed hash"))
        })
    };
    Ok(Checkpoint {
        first_seq: seq(first)?,
        last_seq: seq(last)?,
        tree_size: seq(size)?,
        merkle_root: hash(&root)?,
        last_hash: hash(&last_hash)?,
        time,
        key_id,
        signature,
    })
}
