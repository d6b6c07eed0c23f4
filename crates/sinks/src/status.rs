//! What a sink is doing, for the admin API and the console: a snapshot
//! updated by the sink's runner and read without waiting on it.

use serde::Serialize;
use std::sync::Mutex;
use time::OffsetDateTime;

/// One sink's delivery state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SinkStatus {
    pub name: String,
    pub kind: String,
    pub encoding: String,
    /// Highest sequence number acknowledged by the receiver.
    pub cursor: u64,
    /// Highest sequence number in the trace when last checked.
    pub latest_seq: u64,
    /// Records not yet acknowledged.
    pub backlog_records: u64,
    /// Age of the oldest record not yet acknowledged, 0 when caught up.
    pub backlog_age_seconds: f64,
    pub delivered_records: u64,
    pub failed_attempts: u64,
    /// Consecutive failed attempts of the current batch.
    pub retrying: u32,
    /// Records skipped because the backlog exceeded `retention_records`.
    pub dropped_records: u64,
    /// Records the receiver refused permanently.
    pub rejected_records: u64,
    /// Set once records were skipped because of `retention_records`.
    pub retention_exceeded: bool,
    pub retention_records: Option<u64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_success: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_error_at: Option<OffsetDateTime>,
}

/// The shared, always-readable status of one sink.
#[derive(Debug)]
pub(crate) struct StatusCell(Mutex<SinkStatus>);

impl StatusCell {
    pub fn new(status: SinkStatus) -> Self {
        StatusCell(Mutex::new(status))
    }

    pub fn snapshot(&self) -> SinkStatus {
        match self.0.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn update(&self, f: impl FnOnce(&mut SinkStatus)) {
        match self.0.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}
