//! Sealing the Decision Trace with signed checkpoints.
//!
//! [`seal_pending`] checks the records written since the latest checkpoint
//! (contiguous numbers, every hash recomputed, every link followed, from
//! the hash the previous checkpoint sealed) and only then signs Merkle
//! checkpoints over them: a record that does not verify is never sealed.
//!
//! [`Checkpointer`] runs it in the background: when
//! `every_records` records are waiting, or when records have waited
//! `every` since the last checkpoint, and once more at shutdown. It polls
//! the trace head (a cheap query) a few times a second and never touches
//! the decision path. Records written after the last checkpoint are
//! protected by the hash chain alone until the next one.

use crate::{Store, StoreError};
use behavry_trace::{
    merkle_root, ChainVerifier, Checkpoint, CheckpointError, TraceHash, TraceSigningKey,
    VerifyFailure,
};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Records read per query while sealing.
const PAGE: u32 = 4096;
/// Longest wait between two looks at the trace head.
const POLL: Duration = Duration::from_millis(200);

/// When to seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointSchedule {
    /// Seal records that have waited this long.
    pub every: Duration,
    /// Seal as soon as this many records wait; also the most records one
    /// checkpoint covers.
    pub every_records: u64,
}

impl Default for CheckpointSchedule {
    fn default() -> Self {
        CheckpointSchedule {
            every: Duration::from_secs(10),
            every_records: 4096,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("refusing to seal the decision trace: {0}")]
    Tampered(VerifyFailure),
    #[error("cannot sign a trace checkpoint: {0}")]
    Sign(#[from] CheckpointError),
}

/// Verify and seal every record after the latest checkpoint, in
/// checkpoints of at most `max_records`. Returns the checkpoints stored.
pub async fn seal_pending(
    store: &Store,
    key: &TraceSigningKey,
    max_records: u64,
) -> Result<Vec<Checkpoint>, SealError> {
    let max_records = max_records.max(1);
    let (mut sealed, mut sealed_hash) = match store.latest_trace_checkpoint().await? {
        Some(cp) => (cp.last_seq, cp.last_hash),
        None => (0, TraceHash::GENESIS),
    };
    let mut made = Vec::new();
    loop {
        let mut verifier = ChainVerifier::resume_after(key.public_key(), sealed, sealed_hash);
        let mut hashes = Vec::new();
        while (hashes.len() as u64) < max_records {
            let room = max_records - hashes.len() as u64;
            let limit = u32::try_from(room).unwrap_or(PAGE).min(PAGE);
            let after = sealed + hashes.len() as u64;
            let page = store.trace_records(after, limit).await?;
            if page.is_empty() {
                break;
            }
            for record in page {
                let hash = TraceHash::from_hex(&record.hash).unwrap_or(TraceHash::GENESIS);
                verifier.push(record).map_err(SealError::Tampered)?;
                hashes.push(hash);
            }
        }
        let report = verifier.finish().map_err(SealError::Tampered)?;
        let (Some((last, head)), Some(root)) = (report.head, merkle_root(&hashes)) else {
            return Ok(made);
        };
        if last == sealed {
            return Ok(made);
        }
        let checkpoint = key.sign(sealed + 1, last, root, head, OffsetDateTime::now_utc())?;
        store.append_trace_checkpoint(&checkpoint).await?;
        sealed = last;
        sealed_hash = head;
        made.push(checkpoint);
        if (hashes.len() as u64) < max_records {
            return Ok(made);
        }
    }
}

/// The background sealing task. Dropping it stops the task without a
/// final seal; [`Checkpointer::shutdown`] seals what is left first.
pub struct Checkpointer {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    store: Store,
    key: Arc<TraceSigningKey>,
    schedule: CheckpointSchedule,
}

impl Checkpointer {
    pub fn spawn(store: Store, key: Arc<TraceSigningKey>, schedule: CheckpointSchedule) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(store.clone(), key.clone(), schedule, stopped));
        Checkpointer {
            stop: Some(stop),
            task,
            store,
            key,
            schedule,
        }
    }

    /// Stop the task and seal every record still unsealed.
    pub async fn shutdown(mut self) -> Result<Vec<Checkpoint>, SealError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        seal_pending(&self.store, &self.key, self.schedule.every_records).await
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(
    store: Store,
    key: Arc<TraceSigningKey>,
    schedule: CheckpointSchedule,
    mut stopped: oneshot::Receiver<()>,
) {
    let poll = schedule.every.min(POLL);
    let mut sealed = None;
    let mut waiting_since = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = &mut stopped => return,
        }
        let sealed_through = match sealed {
            Some(seq) => seq,
            None => match store.latest_trace_checkpoint().await {
                Ok(cp) => *sealed.insert(cp.map_or(0, |c| c.last_seq)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the latest trace checkpoint");
                    continue;
                }
            },
        };
        let head = match store.latest_trace_seq().await {
            Ok(head) => head.unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the decision trace head");
                continue;
            }
        };
        let waiting = head.saturating_sub(sealed_through);
        if waiting == 0 {
            waiting_since = tokio::time::Instant::now();
            continue;
        }
        if waiting < schedule.every_records && waiting_since.elapsed() < schedule.every {
            continue;
        }
        match seal_pending(&store, &key, schedule.every_records).await {
            Ok(made) => {
                if let Some(last) = made.last() {
                    tracing::debug!(
                        through = last.last_seq,
                        checkpoints = made.len(),
                        "decision trace sealed"
                    );
                    sealed = Some(last.last_seq);
                }
                waiting_since = tokio::time::Instant::now();
            }
            Err(SealError::Tampered(failure)) => {
                tracing::error!(%failure, "the decision trace does not verify; checkpoints stop until it is investigated (run `behavry trace verify`)");
                return;
            }
            Err(e) => {
                sealed = None;
                tracing::warn!(error = %e, "cannot seal the decision trace; retrying");
            }
        }
    }
}
