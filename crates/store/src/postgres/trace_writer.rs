//! Group-committing Decision Trace writer for PostgreSQL, safe with several
//! gateway replicas writing to one database.
//!
//! As with SQLite, one task per store receives appends over a bounded
//! channel, takes every append queued when it wakes (up to [`MAX_BATCH`])
//! and writes them in one transaction; each caller is acknowledged with its
//! own sequence number only after the commit. The difference is the chain
//! head: other replicas append to the same table, so the head is never
//! cached. Each batch's transaction first takes the trace table's
//! `EXCLUSIVE` lock (which serialises writers and leaves readers alone),
//! then reads the head (highest `seq` and its hash), numbers and chains the
//! batch after it and inserts it with one statement. Every writer of the
//! database therefore extends one contiguous, verifiable hash chain.
//!
//! Guarantees (as for SQLite): `Ok(seq)` means committed under `seq`; a
//! failed batch commits nothing and every caller in it gets the error; an
//! abandoned caller's event is still written; appends fail with
//! `Unavailable` once the writer has stopped. The lock wait is bounded by
//! [`LOCK_TIMEOUT`], so a stuck writer elsewhere makes appends fail (and
//! calls fail closed) instead of hanging. The writer uses its own
//! one-connection pool, which reconnects after the database comes back.
//!
//! Deferred appends wait up to [`DEFER_WINDOW`] to share a durable
//! append's commit, as in [`crate::sqlite::trace_writer`].

use crate::sqlite::trace_writer::{kind_name, DEFER_WINDOW, MAX_BATCH, QUEUE_CAPACITY};
use crate::timestamp::to_nanos;
use crate::StoreError;
use behavry_core::TraceEvent;
use behavry_trace::{record_hash, TraceHash};
use sqlx::{PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};

/// Longest wait for the trace table's write lock before a batch fails.
pub const LOCK_TIMEOUT: &str = "5s";

/// One encoded event waiting to be written.
struct PendingAppend {
    decision_id: String,
    kind: &'static str,
    time: i64,
    body: String,
    /// `None` for deferred appends: nobody waits for the commit.
    ack: Option<oneshot::Sender<Result<u64, StoreError>>>,
}

/// Handle to the writer task; the task stops when the handle is dropped.
pub(crate) struct TraceWriter {
    queue: mpsc::Sender<PendingAppend>,
    stopped: &'static str,
}

impl TraceWriter {
    pub(crate) fn spawn(pool: PgPool) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(pool, receiver));
        TraceWriter {
            queue,
            stopped: "trace writer has stopped",
        }
    }

    /// A writer that refuses every append (a store opened read-only).
    pub(crate) fn read_only() -> Self {
        let (queue, _) = mpsc::channel(1);
        TraceWriter {
            queue,
            stopped: "the store was opened read-only",
        }
    }

    pub(crate) fn stopped_reason(&self) -> &'static str {
        self.stopped
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.queue.is_closed()
    }

    pub(crate) async fn append(&self, event: &TraceEvent) -> Result<u64, StoreError> {
        let (ack, acked) = oneshot::channel();
        self.enqueue(event, Some(ack)).await?;
        acked.await.map_err(|_| {
            StoreError::Unavailable("trace writer stopped before confirming the write".to_string())
        })?
    }

    pub(crate) async fn append_deferred(&self, event: &TraceEvent) -> Result<(), StoreError> {
        self.enqueue(event, None).await
    }

    async fn enqueue(
        &self,
        event: &TraceEvent,
        ack: Option<oneshot::Sender<Result<u64, StoreError>>>,
    ) -> Result<(), StoreError> {
        let body = behavry_trace::encode_event(event)
            .map_err(|e| StoreError::Invalid(format!("trace event could not be encoded: {e}")))?;
        let pending = PendingAppend {
            decision_id: event.decision_id.0.clone(),
            kind: kind_name(&event.event),
            time: to_nanos(event.time)?,
            body,
            ack,
        };
        self.queue
            .send(pending)
            .await
            .map_err(|_| StoreError::Unavailable(self.stopped.to_string()))
    }
}

async fn run(pool: PgPool, mut receiver: mpsc::Receiver<PendingAppend>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        wait_for_a_durable_append(&mut receiver, &mut batch).await;
        match write_batch(&pool, &batch).await {
            Ok(first_seq) => {
                for (seq, pending) in (first_seq..).zip(batch.drain(..)) {
                    // A caller that stopped waiting still had its event written.
                    if let Some(ack) = pending.ack {
                        let _ = ack.send(Ok(seq));
                    }
                }
            }
            Err(err) => {
                tracing::error!(events = batch.len(), error = %err, "decision trace write failed");
                for pending in batch.drain(..) {
                    if let Some(ack) = pending.ack {
                        let _ = ack.send(Err(err.clone()));
                    }
                }
            }
        }
    }
    pool.close().await;
}

/// While `batch` holds only deferred appends, keep collecting for up to
/// [`DEFER_WINDOW`] so that they share the next durable append's commit.
async fn wait_for_a_durable_append(
    receiver: &mut mpsc::Receiver<PendingAppend>,
    batch: &mut Vec<PendingAppend>,
) {
    let deadline = tokio::time::Instant::now() + DEFER_WINDOW;
    while batch.len() < MAX_BATCH && batch.iter().all(|p| p.ack.is_none()) {
        let room = MAX_BATCH - batch.len();
        match tokio::time::timeout_at(deadline, receiver.recv_many(batch, room)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Inserts a whole batch from parallel arrays, in order.
const INSERT_BATCH: &str =
    "INSERT INTO trace_events (seq, decision_id, kind, time, body, prev_hash, hash) \
     SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], \
                          $6::text[], $7::text[])";

/// Chain and write `batch` in one transaction under the table's write
/// lock; returns the sequence number of its first event.
async fn write_batch(pool: &PgPool, batch: &[PendingAppend]) -> Result<u64, StoreError> {
    let fail = |e| StoreError::db("could not write the decision trace", e);
    let mut tx = pool.begin().await.map_err(fail)?;
    sqlx::query(&format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    sqlx::query("LOCK TABLE trace_events IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    let start = load_head(&mut tx).await?;
    let mut head = start;
    let mut columns = Columns::with_capacity(batch.len());
    for pending in batch {
        let seq = head
            .0
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("trace sequence overflow".into()))?;
        let hash = record_hash(to_seq(seq)?, &head.1, &pending.body)
            .map_err(|e| StoreError::Corrupt(format!("trace record {seq}: {e}")))?;
        columns.push(seq, pending, head.1, hash);
        head = (seq, hash);
    }
    let inserted = sqlx::query(INSERT_BATCH)
        .bind(columns.seq)
        .bind(columns.decision_id)
        .bind(columns.kind)
        .bind(columns.time)
        .bind(columns.body)
        .bind(columns.prev_hash)
        .bind(columns.hash)
        .execute(&mut *tx)
        .await
        .map_err(fail)?
        .rows_affected();
    if inserted != batch.len() as u64 {
        return Err(StoreError::Unavailable(format!(
            "decision trace write stored {inserted} of {} events",
            batch.len()
        )));
    }
    tx.commit().await.map_err(fail)?;
    to_seq(start.0 + 1)
}

/// The batch as one array per column, for [`INSERT_BATCH`].
struct Columns {
    seq: Vec<i64>,
    decision_id: Vec<String>,
    kind: Vec<&'static str>,
    time: Vec<i64>,
    body: Vec<String>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
}

impl Columns {
    fn with_capacity(n: usize) -> Self {
        Columns {
            seq: Vec::with_capacity(n),
            decision_id: Vec::with_capacity(n),
            kind: Vec::with_capacity(n),
            time: Vec::with_capacity(n),
            body: Vec::with_capacity(n),
            prev_hash: Vec::with_capacity(n),
            hash: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, seq: i64, pending: &PendingAppend, prev: TraceHash, hash: TraceHash) {
        self.seq.push(seq);
        self.decision_id.push(pending.decision_id.clone());
        self.kind.push(pending.kind);
        self.time.push(pending.time);
        self.body.push(pending.body.clone());
        self.prev_hash.push(prev.to_hex());
        self.hash.push(hash.to_hex());
    }
}

/// The last committed record `(seq, hash)`; `(0, genesis)` for an empty
/// trace. Read inside the writing transaction, after taking the lock.
async fn load_head(conn: &mut PgConnection) -> Result<(i64, TraceHash), StoreError> {
    let row: Option<(i64, Option<String>)> =
        sqlx::query_as("SELECT seq, hash FROM trace_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| StoreError::db("could not read the decision trace head", e))?;
    match row {
        None => Ok((0, TraceHash::GENESIS)),
        Some((seq, Some(hash))) => Ok((
            seq,
            TraceHash::from_hex(&hash).map_err(|_| {
                StoreError::Corrupt(format!("trace record {seq} has a malformed hash"))
            })?,
        )),
        Some((seq, None)) => Err(StoreError::Corrupt(format!(
            "trace record {seq} is not chained"
        ))),
    }
}

fn to_seq(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("trace sequence {seq} is negative")))
}
