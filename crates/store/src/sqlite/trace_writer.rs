//! Group-committing writer for the Decision Trace.
//!
//! One task owns a dedicated connection and receives appends over a bounded
//! channel. Each time it wakes it takes every append queued at that moment
//! (up to [`MAX_BATCH`]), numbers them with the next sequence numbers,
//! chains them (each row's `prev_hash` is the previous row's `hash`, and
//! `hash` is the record hash of `behavry_trace::hash`), writes them with ONE
//! `INSERT` statement (its own atomic transaction) and commits; with
//! `synchronous=FULL` the commit has reached disk when it returns. Only then
//! is each caller acknowledged with its own sequence number. The chain head
//! (last sequence number and hash) is loaded at open, cached between batches
//! and re-read after any failure. Event bodies are encoded (RFC 8785) by the
//! appending task, so the writer only hashes.
//!
//! Guarantees:
//! - `append_trace` returning `Ok(seq)` means the event is durably committed
//!   under `seq`; sequence numbers are contiguous and follow commit order,
//!   and so does the hash chain.
//! - If a batch fails, nothing of it is committed and every caller in it
//!   receives the error, so the gateway can fail closed for each call.
//! - A caller that gives up after enqueueing (its future is dropped) does not
//!   withdraw the event; it is still written.
//! - When the writer has stopped, appends fail with `Unavailable`.
//!
//! Under load the cost of one fsync is shared by every call in the batch, so
//! throughput grows with concurrency while each call still waits for its own
//! durable commit.
//!
//! Deferred appends (a call's outcome, which no caller waits on) do not
//! start a commit of their own at once: a batch holding only deferred events
//! waits up to [`DEFER_WINDOW`] for a durable append to share its commit.
//! So a sequence of calls costs one commit per call, not two; an outcome can
//! be lost only if the process stops within that window (its decision, which
//! was committed before the call was forwarded, cannot).

use crate::timestamp::to_nanos;
use crate::StoreError;
use behavry_core::{TraceEvent, TraceEventKind};
use behavry_trace::{record_hash, TraceHash};
use sqlx::{Connection as _, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

/// Most events written in one transaction.
pub const MAX_BATCH: usize = 512;
/// Appends that may wait for the writer before callers are back-pressured.
pub const QUEUE_CAPACITY: usize = 4096;
/// Longest time a batch of deferred appends waits for a durable one.
pub const DEFER_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);

/// One encoded event waiting to be written.
struct PendingAppend {
    decision_id: String,
    kind: &'static str,
    time: i64,
    body: String,
    /// `None` for deferred appends: nobody waits for the commit.
    ack: Option<oneshot::Sender<Result<u64, StoreError>>>,
}

/// The last committed record: the next one is numbered `seq + 1` and
/// chained to `hash`. `seq == 0` with the genesis hash for an empty trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChainHead {
    pub(crate) seq: i64,
    pub(crate) hash: TraceHash,
}

/// Handle to the writer task; the task stops when the handle is dropped.
pub(crate) struct TraceWriter {
    queue: mpsc::Sender<PendingAppend>,
    stopped: &'static str,
}

impl TraceWriter {
    pub(crate) fn spawn(conn: SqliteConnection, head: ChainHead) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(conn, receiver, head));
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

/// The `kind` column value for an event.
pub(crate) fn kind_name(kind: &TraceEventKind) -> &'static str {
    match kind {
        TraceEventKind::Decision { .. } => "decision",
        TraceEventKind::Approval { .. } => "approval",
        TraceEventKind::Operator { .. } => "operator",
        TraceEventKind::Outcome { .. } => "outcome",
    }
}

async fn run(
    mut conn: SqliteConnection,
    mut receiver: mpsc::Receiver<PendingAppend>,
    head: ChainHead,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Chain head, cached between batches; re-read from the table after any
    // failure so a failed batch never leaves a gap, a duplicate or a break.
    let mut head = Some(head);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        wait_for_a_durable_append(&mut receiver, &mut batch).await;
        match write_batch(&mut conn, &batch, head).await {
            Ok(new_head) => {
                head = Some(new_head);
                let first_seq = new_head.seq - batch.len() as i64 + 1;
                for (seq, pending) in (first_seq..).zip(batch.drain(..)) {
                    // A caller that stopped waiting still had its event written.
                    if let Some(ack) = pending.ack {
                        let _ = ack.send(to_seq(seq));
                    }
                }
            }
            Err(err) => {
                head = None;
                tracing::error!(events = batch.len(), error = %err, "decision trace write failed");
                for pending in batch.drain(..) {
                    if let Some(ack) = pending.ack {
                        let _ = ack.send(Err(err.clone()));
                    }
                }
            }
        }
    }
    let _ = conn.close().await;
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

/// Insert rows from one JSON array parameter: a single statement per batch,
/// whatever its size.
const INSERT_BATCH: &str =
    "INSERT INTO trace_events (seq, decision_id, kind, time, body, prev_hash, hash) \
     SELECT ? + key, json_extract(value, '$[0]'), json_extract(value, '$[1]'), \
            json_extract(value, '$[2]'), json_extract(value, '$[3]'), \
            json_extract(value, '$[4]'), json_extract(value, '$[5]') \
     FROM json_each(?) ORDER BY key";

/// Read the chain head from the table.
pub(crate) async fn load_head(conn: &mut SqliteConnection) -> Result<ChainHead, StoreError> {
    let row: Option<(i64, Option<String>)> =
        sqlx::query_as("SELECT seq, hash FROM trace_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| StoreError::db("could not read the decision trace head", e))?;
    match row {
        None => Ok(ChainHead {
            seq: 0,
            hash: TraceHash::GENESIS,
        }),
        Some((seq, Some(hash))) => Ok(ChainHead {
            seq,
            hash: TraceHash::from_hex(&hash).map_err(|_| {
                StoreError::Corrupt(format!("trace record {seq} has a malformed hash"))
            })?,
        }),
        Some((seq, None)) => Err(StoreError::Corrupt(format!(
            "trace record {seq} is not chained"
        ))),
    }
}

/// Chain and write `batch` in one transaction; returns the new head.
async fn write_batch(
    conn: &mut SqliteConnection,
    batch: &[PendingAppend],
    cached: Option<ChainHead>,
) -> Result<ChainHead, StoreError> {
    let fail = |e| StoreError::db("could not write the decision trace", e);
    // One statement, so one round trip to the connection's worker thread:
    // an INSERT is its own atomic transaction, and this connection is the
    // trace table's only writer, so the cached head stays valid.
    let start = match cached {
        Some(head) => head,
        None => load_head(conn).await?,
    };
    let mut head = start;
    let mut rows = Vec::with_capacity(batch.len());
    for pending in batch {
        let seq = head
            .seq
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("trace sequence overflow".into()))?;
        let hash = record_hash(to_seq(seq)?, &head.hash, &pending.body)
            .map_err(|e| StoreError::Corrupt(format!("trace record {seq}: {e}")))?;
        rows.push((
            pending.decision_id.as_str(),
            pending.kind,
            pending.time,
            pending.body.as_str(),
            head.hash.to_hex(),
            hash.to_hex(),
        ));
        head = ChainHead { seq, hash };
    }
    let rows = serde_json::to_string(&rows)
        .map_err(|e| StoreError::Invalid(format!("trace events could not be encoded: {e}")))?;
    let inserted = sqlx::query(INSERT_BATCH)
        .bind(start.seq + 1)
        .bind(rows)
        .execute(&mut *conn)
        .await
        .map_err(fail)?
        .rows_affected();
    if inserted != batch.len() as u64 {
        return Err(StoreError::Unavailable(format!(
            "decision trace write stored {inserted} of {} events",
            batch.len()
        )));
    }
    Ok(head)
}

fn to_seq(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("trace sequence {seq} is negative")))
}
