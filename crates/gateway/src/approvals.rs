//! The intercept mechanism: a held call waits on an approval that an
//! operator resolves through the control plane.
//!
//! Invariants:
//! - The store is the source of truth; resolution is a compare-and-set from
//!   `pending`, so exactly one of approve / reject / expire wins.
//! - Every resolution is appended to the Decision Trace before the waiting
//!   call is released.
//! - A waiter that times out expires the approval; if an operator won the
//!   race, the operator's outcome is honoured.

use behavry_core::{TraceEvent, TraceEventKind};
use behavry_store::{ApprovalRecord, ApprovalStatus, NewApproval, Store, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;

/// How a held call was released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    Approved {
        operator: Option<String>,
    },
    Rejected {
        operator: Option<String>,
        reason: Option<String>,
    },
    Expired,
}

#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("recording the approval in the trace failed: {0}")]
    Trace(StoreError),
}

pub struct ApprovalHub {
    store: Store,
    waiters: Mutex<HashMap<String, watch::Sender<Option<Release>>>>,
}

impl ApprovalHub {
    pub fn new(store: Store) -> Self {
        ApprovalHub {
            store,
            waiters: Mutex::new(HashMap::new()),
        }
    }

    /// Persist a new pending approval and register a waiter for it. No one
    /// can resolve it before its id is returned, so registering after the
    /// insert loses nothing.
    pub async fn open(
        &self,
        approval: NewApproval,
    ) -> Result<(ApprovalRecord, watch::Receiver<Option<Release>>), ApprovalError> {
        let record = self.store.create_approval(approval).await?;
        let (tx, rx) = watch::channel(None);
        if let Ok(mut waiters) = self.waiters.lock() {
            waiters.insert(record.id.clone(), tx);
        }
        Ok((record, rx))
    }

    /// Resolve a pending approval (operator action) and wake its waiter.
    pub async fn resolve(
        &self,
        id: &str,
        approve: bool,
        operator: Option<&str>,
        reason: Option<&str>,
    ) -> Result<ApprovalRecord, ApprovalError> {
        let status = if approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
        };
        let record = self
            .store
            .resolve_approval(id, status, operator, reason)
            .await?;
        self.record_in_trace(&record).await?;
        let release = release_of(&record);
        self.notify(id, release);
        Ok(record)
    }

    /// Wait for a release; on timeout, expire the approval (fail closed).
    pub async fn wait(
        &self,
        id: &str,
        mut rx: watch::Receiver<Option<Release>>,
        timeout: Duration,
    ) -> Release {
        let waited = tokio::time::timeout(timeout, async {
            loop {
                if let Some(release) = rx.borrow_and_update().clone() {
                    return Some(release);
                }
                if rx.changed().await.is_err() {
                    return None;
                }
            }
        })
        .await;
        let release = match waited {
            Ok(Some(release)) => release,
            _ => self.expire(id).await,
        };
        self.forget(id);
        release
    }

    async fn expire(&self, id: &str) -> Release {
        match self
            .store
            .resolve_approval(
                id,
                ApprovalStatus::Expired,
                None,
                Some("approval timed out"),
            )
            .await
        {
            Ok(record) => {
                if let Err(e) = self.record_in_trace(&record).await {
                    tracing::error!(approval = id, error = %e, "could not record approval expiry in the trace");
                }
                Release::Expired
            }
            // An operator resolved it in the same instant: honour that outcome.
            Err(StoreError::Conflict(_)) => match self.store.get_approval(id).await {
                Ok(Some(record)) => release_of(&record),
                _ => Release::Expired,
            },
            Err(e) => {
                tracing::error!(approval = id, error = %e, "could not expire approval; denying the held call");
                Release::Expired
            }
        }
    }

    async fn record_in_trace(&self, record: &ApprovalRecord) -> Result<(), ApprovalError> {
        let action = match record.status {
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Expired => "expired",
            ApprovalStatus::Pending => "pending",
        };
        let event = TraceEvent {
            decision_id: record.decision_id.clone(),
            time: OffsetDateTime::now_utc(),
            event: TraceEventKind::Approval {
                approval_id: record.id.clone(),
                action: action.to_string(),
                operator: record.decided_by.clone(),
                reason: record.decision_reason.clone(),
            },
        };
        self.store
            .append_trace(&event)
            .await
            .map(|_| ())
            .map_err(ApprovalError::Trace)
    }

    fn notify(&self, id: &str, release: Release) {
        if let Ok(waiters) = self.waiters.lock() {
            if let Some(tx) = waiters.get(id) {
                let _ = tx.send(Some(release));
            }
        }
    }

    /// Drop the waiter of a held call whose client went away; the approval
    /// itself stays pending for operators.
    pub fn forget(&self, id: &str) {
        if let Ok(mut waiters) = self.waiters.lock() {
            waiters.remove(id);
        }
    }

    /// Number of calls currently held in this process.
    pub fn waiting(&self) -> usize {
        self.waiters.lock().map(|w| w.len()).unwrap_or(0)
    }
}

fn release_of(record: &ApprovalRecord) -> Release {
    match record.status {
        ApprovalStatus::Approved => Release::Approved {
            operator: record.decided_by.clone(),
        },
        ApprovalStatus::Rejected => Release::Rejected {
            operator: record.decided_by.clone(),
            reason: record.decision_reason.clone(),
        },
        ApprovalStatus::Expired | ApprovalStatus::Pending => Release::Expired,
    }
}
