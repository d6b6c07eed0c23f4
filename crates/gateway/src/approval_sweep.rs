//! The background sweep over pending approvals: expiry (with each rule's
//! default outcome) and escalation to a rule's second group. It also covers
//! approvals with no call held in this process, e.g. after a restart.

use crate::state::Gateway;
use behavry_store::ApprovalStatus;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl Gateway {
    pub fn spawn_approval_sweeper(self: &Arc<Self>) {
        let gw = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            loop {
                tick.tick().await;
                let Some(gw) = gw.upgrade() else { return };
                gw.sweep_approvals(OffsetDateTime::now_utc()).await;
            }
        });
    }

    /// One sweep: expire what is due, escalate what has waited long enough.
    pub async fn sweep_approvals(&self, now: OffsetDateTime) {
        match self.store.expire_due_approvals(now).await {
            Ok(expired) => {
                for record in expired {
                    self.approvals.expired(&record).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "approval expiry sweep failed"),
        }
        let pending = match self
            .store
            .list_approvals(Some(ApprovalStatus::Pending), 10_000)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "approval escalation sweep failed");
                return;
            }
        };
        for record in pending {
            let Some(after) = record.rule.escalate_after_secs else {
                continue;
            };
            let due = record.created_at + Duration::from_secs(after);
            if record.escalated || due > now {
                continue;
            }
            if let Err(e) = self.approvals.escalate(&record).await {
                tracing::error!(approval = %record.id, error = %e, "could not escalate approval");
            }
        }
    }
}
