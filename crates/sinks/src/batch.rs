//! The batcher: up to `batch_max` records after a cursor, in sequence
//! order. A short batch waits up to `batch_wait` for more, topping up from
//! the store, so a quiet trace is sent promptly and a busy one in full
//! batches.

use crate::record::Record;
use crate::runner::POLL_IDLE;
use behavry_store::Store;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub(crate) async fn next_batch(
    store: &Store,
    cursor: u64,
    batch_max: usize,
    batch_wait: Duration,
    cancel: &CancellationToken,
) -> Result<Vec<Record>, String> {
    let read = |after: u64, limit: usize| async move {
        store
            .tail_trace(Some(after), limit.min(u32::MAX as usize) as u32)
            .await
            .map_err(|e| format!("cannot read the trace: {e}"))
    };
    let mut batch = read(cursor, batch_max).await?;
    let deadline = Instant::now() + batch_wait;
    while !batch.is_empty() && batch.len() < batch_max && Instant::now() < deadline {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(POLL_IDLE / 4);
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
        }
        let after = batch.last().map(|(s, _)| *s).unwrap_or(cursor);
        let more = read(after, batch_max - batch.len()).await?;
        batch.extend(more);
    }
    Ok(batch)
}
