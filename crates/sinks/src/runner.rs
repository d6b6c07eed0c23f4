//! The task that moves one sink's cursor through the trace.
//!
//! Invariants:
//! - The cursor (`sink_cursor.<name>` in the store's settings) only moves
//!   past a record once the receiver acknowledged it. A crash between the
//!   acknowledgement and the cursor write re-sends that batch: delivery is
//!   at least once, and the event ids let receivers de-duplicate.
//! - Nothing is dropped while the receiver is down: the batch is retried
//!   with exponential back-off and jitter (at least the receiver's
//!   `Retry-After`) and the backlog grows, visible in the metrics and
//!   status. The one exception is an explicit `retention_records`: past it
//!   the oldest records are skipped, with an error log, the
//!   `behavry_sink_dropped_records_total` counter and the
//!   `retention_exceeded` flag.
//! - Records are read in sequence order; the store numbers them in commit
//!   order, so reading `seq > cursor` never misses a record.

use crate::deliver::{Ack, Delivery, DeliveryError};
use crate::encode::{EncodeContext, Encoder};
use crate::metrics::{SinkLabels, SinkMetrics};
use crate::record::Record;
use crate::retry::Backoff;
use crate::status::StatusCell;
use behavry_config::SinkStart;
use behavry_store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// Settings key holding a sink's cursor.
pub fn cursor_key(sink: &str) -> String {
    format!("sink_cursor.{sink}")
}

/// How often an idle sink looks for new records.
pub(crate) const POLL_IDLE: Duration = Duration::from_millis(200);
const BACKOFF_BASE: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

pub(crate) struct Runner {
    pub store: Store,
    pub name: String,
    pub encoder: Box<dyn Encoder>,
    pub delivery: Box<dyn Delivery>,
    pub batch_max: usize,
    pub batch_wait: Duration,
    pub retention: Option<u64>,
    pub start: SinkStart,
    pub status: Arc<StatusCell>,
    pub metrics: Arc<SinkMetrics>,
    pub cancel: CancellationToken,
    pub backoff: Backoff,
}

impl Runner {
    pub fn new_backoff() -> Backoff {
        Backoff::new(BACKOFF_BASE, BACKOFF_MAX)
    }

    fn labels(&self) -> SinkLabels {
        SinkLabels {
            sink: self.name.clone(),
        }
    }

    pub async fn run(mut self) {
        let mut cursor = loop {
            match self.load_cursor().await {
                Ok(c) => break c,
                Err(e) => {
                    self.failed(&format!("cannot read the sink cursor: {e}"));
                    if !self.pause(None).await {
                        return;
                    }
                }
            }
        };
        self.status.update(|s| s.cursor = cursor);
        tracing::info!(sink = %self.name, cursor, "trace sink started");
        if let Ok(latest) = self.latest().await {
            if cursor > latest {
                tracing::error!(sink = %self.name, cursor, latest, "the sink cursor is ahead of the trace (was the store replaced?); nothing is sent until the trace passes it. Delete setting sink_cursor.<name> to start over");
                self.status.update(|s| {
                    s.last_error = Some(format!(
                        "cursor {cursor} is ahead of the trace (latest {latest})"
                    ));
                    s.last_error_at = Some(OffsetDateTime::now_utc());
                });
            }
        }
        while !self.cancel.is_cancelled() {
            match self.step(cursor).await {
                Ok(next) => cursor = next,
                Err(e) => {
                    self.failed(&e);
                    if !self.pause(None).await {
                        return;
                    }
                }
            }
        }
    }

    async fn load_cursor(&self) -> Result<u64, String> {
        let key = cursor_key(&self.name);
        let stored = self
            .store
            .get_setting(&key)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(text) = stored {
            return text.trim().parse::<u64>().map_err(|_| {
                format!("setting {key} holds `{text}`, not a sequence number; fix or delete it")
            });
        }
        let start = match self.start {
            SinkStart::Beginning => 0,
            SinkStart::End => self
                .store
                .latest_trace_seq()
                .await
                .map_err(|e| e.to_string())?
                .unwrap_or(0),
        };
        self.store
            .put_setting(&key, &start.to_string())
            .await
            .map_err(|e| e.to_string())?;
        Ok(start)
    }

    /// One round: look at the trace, deliver the next batch if there is
    /// one. Returns the cursor after the round.
    async fn step(&mut self, cursor: u64) -> Result<u64, String> {
        let latest = self.latest().await?;
        if let Some(skipped_to) = self.enforce_retention(cursor, latest).await {
            return Ok(skipped_to);
        }
        self.observe(cursor, latest, None);
        if latest <= cursor {
            self.sleep(POLL_IDLE).await;
            return Ok(cursor);
        }
        let batch = crate::batch::next_batch(
            &self.store,
            cursor,
            self.batch_max,
            self.batch_wait,
            &self.cancel,
        )
        .await?;
        let Some(((last, _), (_, first))) = batch.last().zip(batch.first()) else {
            self.sleep(POLL_IDLE).await;
            return Ok(cursor);
        };
        let (last, oldest) = (*last, first.time);
        match self.deliver(cursor, batch, oldest).await? {
            Delivered::Acked => {
                self.advance(last).await;
                Ok(last)
            }
            Delivered::SkippedTo(c) => Ok(c),
            Delivered::Cancelled => Ok(cursor),
        }
    }

    async fn latest(&self) -> Result<u64, String> {
        self.store
            .latest_trace_seq()
            .await
            .map(|s| s.unwrap_or(0))
            .map_err(|e| format!("cannot read the trace: {e}"))
    }

    /// Deliver `batch` (the records after `cursor`) until the receiver
    /// acknowledged all of it, retention skips past it, or the sink stops.
    async fn deliver(
        &mut self,
        cursor: u64,
        batch: Vec<Record>,
        oldest: OffsetDateTime,
    ) -> Result<Delivered, String> {
        let labels = self.labels();
        let mut todo = batch;
        loop {
            let latest = self.latest().await?;
            if let Some(c) = self.enforce_retention(cursor, latest).await {
                return Ok(Delivered::SkippedTo(c));
            }
            self.observe(cursor, latest, Some(oldest));
            let started = Instant::now();
            let result = self.attempt(&todo).await;
            self.metrics
                .delivery_seconds
                .get_or_create(&labels)
                .observe(started.elapsed().as_secs_f64());
            let retry_after = match result {
                Ok(Ack::All { rejected, note }) => {
                    let accepted = (todo.len() as u64).saturating_sub(rejected);
                    self.metrics
                        .delivered
                        .get_or_create(&labels)
                        .inc_by(accepted);
                    self.status.update(|s| s.delivered_records += accepted);
                    if rejected > 0 {
                        let why = note.unwrap_or_else(|| "no reason given".into());
                        tracing::error!(sink = %self.name, rejected, reason = %why, "receiver refused trace records permanently");
                        self.metrics
                            .rejected
                            .get_or_create(&labels)
                            .inc_by(rejected);
                        self.status.update(|s| {
                            s.rejected_records += rejected;
                            s.last_error =
                                Some(format!("receiver refused {rejected} records: {why}"));
                            s.last_error_at = Some(OffsetDateTime::now_utc());
                        });
                    }
                    return Ok(Delivered::Acked);
                }
                Ok(Ack::Partial { retry, reason }) => {
                    let accepted = todo.len().saturating_sub(retry.len()) as u64;
                    self.metrics
                        .delivered
                        .get_or_create(&labels)
                        .inc_by(accepted);
                    self.status.update(|s| s.delivered_records += accepted);
                    let mut keep = retry.into_iter().peekable();
                    let mut rest = Vec::new();
                    for (i, record) in todo.into_iter().enumerate() {
                        if keep.peek() == Some(&i) {
                            keep.next();
                            rest.push(record);
                        }
                    }
                    todo = rest;
                    self.failed(&format!("{} records not accepted: {reason}", todo.len()));
                    if todo.is_empty() {
                        return Ok(Delivered::Acked);
                    }
                    None
                }
                Err(e) => {
                    self.failed(&e.message);
                    e.retry_after
                }
            };
            if !self.pause(retry_after).await {
                return Ok(Delivered::Cancelled);
            }
        }
    }

    async fn attempt(&mut self, todo: &[Record]) -> Result<Ack, DeliveryError> {
        let ctx = self.context(todo).await?;
        let body = self
            .encoder
            .encode(todo, &ctx)
            .map_err(|e| DeliveryError::new(e.to_string()))?;
        if body.is_empty() {
            return Ok(Ack::all());
        }
        self.delivery.deliver(body, todo).await
    }

    /// Earlier events of the batch's decisions, for encoders that need them.
    async fn context(&self, todo: &[Record]) -> Result<EncodeContext, DeliveryError> {
        let mut ctx = EncodeContext::default();
        if !self.encoder.needs_related() {
            return Ok(ctx);
        }
        let first = todo.first().map(|(s, _)| *s).unwrap_or(0);
        for id in crate::encode::missing_decisions(todo) {
            let events = self
                .store
                .trace_for_decision(&behavry_core::DecisionId(id.clone()))
                .await
                .map_err(|e| DeliveryError::new(format!("cannot read the trace: {e}")))?;
            ctx.related
                .insert(id, crate::encode::related_of(events, first));
        }
        Ok(ctx)
    }

    /// Skip the oldest records when the backlog exceeds `retention_records`.
    async fn enforce_retention(&mut self, cursor: u64, latest: u64) -> Option<u64> {
        let limit = self.retention?;
        let backlog = latest.saturating_sub(cursor);
        if backlog <= limit {
            return None;
        }
        let skipped_to = latest - limit;
        let dropped = skipped_to - cursor;
        tracing::error!(
            sink = %self.name,
            dropped,
            from_seq = cursor + 1,
            to_seq = skipped_to,
            retention_records = limit,
            "trace sink backlog exceeded retention_records: records skipped without delivery"
        );
        let labels = self.labels();
        self.metrics.dropped.get_or_create(&labels).inc_by(dropped);
        self.metrics
            .retention_exceeded
            .get_or_create(&labels)
            .set(1);
        self.status.update(|s| {
            s.dropped_records += dropped;
            s.retention_exceeded = true;
            s.last_error = Some(format!(
                "backlog exceeded retention_records ({limit}): records {} to {skipped_to} were skipped",
                cursor + 1
            ));
            s.last_error_at = Some(OffsetDateTime::now_utc());
        });
        self.advance(skipped_to).await;
        Some(skipped_to)
    }

    /// Record the new cursor. A failed write is logged: the cursor in memory
    /// still moves, and after a restart the records since the last stored
    /// cursor are sent again (at least once, never lost).
    async fn advance(&mut self, cursor: u64) {
        self.backoff.reset();
        let key = cursor_key(&self.name);
        if let Err(e) = self.store.put_setting(&key, &cursor.to_string()).await {
            tracing::warn!(sink = %self.name, cursor, error = %e, "cannot store the sink cursor; records may be sent again after a restart");
        }
        let now = OffsetDateTime::now_utc();
        self.metrics
            .last_success
            .get_or_create(&self.labels())
            .set(now.unix_timestamp() as f64);
        self.status.update(|s| {
            s.cursor = cursor;
            s.retrying = 0;
            s.last_success = Some(now);
        });
    }

    fn observe(&self, cursor: u64, latest: u64, oldest: Option<OffsetDateTime>) {
        let backlog = latest.saturating_sub(cursor);
        let age = match oldest {
            Some(t) if backlog > 0 => (OffsetDateTime::now_utc() - t).as_seconds_f64().max(0.0),
            _ => 0.0,
        };
        let labels = self.labels();
        self.metrics
            .backlog
            .get_or_create(&labels)
            .set(backlog.min(i64::MAX as u64) as i64);
        self.metrics.backlog_age.get_or_create(&labels).set(age);
        self.status.update(|s| {
            s.cursor = cursor;
            s.latest_seq = latest;
            s.backlog_records = backlog;
            s.backlog_age_seconds = age;
        });
    }

    fn failed(&self, message: &str) {
        let attempts = self.backoff.attempts() + 1;
        tracing::warn!(sink = %self.name, attempt = attempts, error = %message, "trace sink delivery failed; retrying");
        self.metrics.failures.get_or_create(&self.labels()).inc();
        self.status.update(|s| {
            s.failed_attempts += 1;
            s.retrying = attempts;
            s.last_error = Some(message.to_string());
            s.last_error_at = Some(OffsetDateTime::now_utc());
        });
    }

    /// Wait out the back-off; `false` when the sink is stopping.
    async fn pause(&mut self, retry_after: Option<Duration>) -> bool {
        let delay = self.backoff.next_delay(retry_after);
        self.sleep(delay).await
    }

    /// Sleep unless cancelled; `false` when cancelled.
    async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = tokio::time::sleep(d) => true,
        }
    }
}

enum Delivered {
    Acked,
    SkippedTo(u64),
    Cancelled,
}
