//! The replica's side of the channel: subscribe, reload everything, then
//! apply each announced change by re-reading the store; send heartbeats;
//! reconcile periodically in case an announcement was never sent.

use super::{Channel, Event, Message, Subscription};
use crate::approvals::release_of;
use crate::state::Gateway;
use behavry_store::{ApprovalStatus, StoreError};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// Wait between failed subscription attempts.
const RESUBSCRIBE_AFTER: Duration = Duration::from_millis(250);

impl Gateway {
    /// Start the listener and heartbeat tasks (nothing for one process).
    pub fn spawn_coordination(self: &Arc<Self>) {
        let Some(channel) = self.coordination.channel.clone() else {
            return;
        };
        let gw = Arc::downgrade(self);
        tokio::spawn(listen(gw.clone(), channel));
        tokio::spawn(heartbeat(gw));
    }

    /// Wait until this replica is subscribed and current (at start-up),
    /// at most `within`. `true` at once for one process.
    pub async fn wait_coordinated(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while self.coordination.stale().is_some() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Re-read everything a replica caches from the store: after a
    /// (re)subscription, and periodically.
    pub async fn reload_shared_state(&self) -> Result<(), StoreError> {
        self.reload_agents().await?;
        self.reload_controls().await?;
        if let Some(stage) = &self.settings.workflows {
            stage.reload_revocations(&self.store).await?;
        }
        self.pins.clear();
        for id in self.approvals.held_ids() {
            self.wake_if_decided(&id).await?;
        }
        Ok(())
    }

    /// Apply one message. An error means the cached state could not be
    /// refreshed; the caller then resubscribes (and reloads everything).
    async fn apply(&self, payload: &str) -> Result<(), StoreError> {
        let message: Message = match serde_json::from_str(payload) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "ignoring a malformed coordination message");
                return Ok(());
            }
        };
        match message.event {
            Event::Heartbeat { policy_revision } => {
                let own = self.policy.current().revision().to_string();
                if message.from != self.coordination.replica
                    && self.coordination.saw_peer(&message.from, &policy_revision)
                    && policy_revision != own
                {
                    tracing::warn!(replica = %message.from, theirs = %policy_revision, ours = %own,
                        "another replica runs a different policy revision; deploy the same policy directory to every replica");
                }
            }
            Event::Controls => self.reload_controls().await?,
            Event::Agents => {
                self.reload_agents().await?;
            }
            Event::Approval { id } => self.wake_if_decided(&id).await?,
            Event::Revocations => {
                if let Some(stage) = &self.settings.workflows {
                    stage.reload_revocations(&self.store).await?;
                }
            }
            Event::ToolPin { upstream, tool } => self.pins.forget(&upstream, &tool),
        }
        Ok(())
    }

    /// Release the calls held here on approval `id` if the store says it
    /// was decided (by any replica).
    async fn wake_if_decided(&self, id: &str) -> Result<(), StoreError> {
        if !self.approvals.is_held(id) {
            return Ok(());
        }
        if let Some(record) = self.store.get_approval(id).await? {
            if record.status != ApprovalStatus::Pending {
                self.approvals.wake(id, release_of(&record));
            }
        }
        Ok(())
    }
}

async fn listen(gw: Weak<Gateway>, channel: Arc<dyn Channel>) {
    loop {
        let Some(stale_after) = gw.upgrade().map(|g| g.coordination.stale_after) else {
            return;
        };
        let sub = match channel.subscribe().await {
            Ok(sub) => sub,
            Err(e) => {
                if let Some(g) = gw.upgrade() {
                    g.coordination.set_in_sync(false);
                }
                tracing::warn!(error = %e, "cannot subscribe to the coordination channel; retrying");
                tokio::time::sleep(RESUBSCRIBE_AFTER).await;
                continue;
            }
        };
        let (tx, mut rx) = mpsc::channel(1024);
        let reader = tokio::spawn(read_into(sub, tx));
        // Messages sent while unsubscribed are lost: reload everything.
        let reloaded = match gw.upgrade() {
            Some(g) => g.reload_shared_state().await,
            None => return,
        };
        match reloaded {
            Ok(()) => {
                if let Some(g) = gw.upgrade() {
                    g.coordination.set_in_sync(true);
                }
                serve(&gw, &mut rx, stale_after).await;
            }
            Err(e) => tracing::warn!(error = %e, "cannot reload shared state after subscribing"),
        }
        reader.abort();
        match gw.upgrade() {
            Some(g) => g.coordination.set_in_sync(false),
            None => return,
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}

/// Forward a subscription's messages; stops at its first error.
async fn read_into(
    mut sub: Box<dyn Subscription>,
    tx: mpsc::Sender<Result<String, super::ChannelError>>,
) {
    loop {
        let next = sub.next().await;
        let failed = next.is_err();
        if tx.send(next).await.is_err() || failed {
            return;
        }
    }
}

/// Handle messages until the subscription fails, falls silent for longer
/// than the bound, or a refresh fails. Reconciles every half bound.
async fn serve(
    gw: &Weak<Gateway>,
    rx: &mut mpsc::Receiver<Result<String, super::ChannelError>>,
    stale_after: Duration,
) {
    let mut reconcile = tokio::time::interval(stale_after / 2);
    reconcile.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    reconcile.tick().await;
    let mut last_message = tokio::time::Instant::now();
    loop {
        tokio::select! {
            next = rx.recv() => {
                let Some(g) = gw.upgrade() else { return };
                match next {
                    Some(Ok(payload)) => {
                        last_message = tokio::time::Instant::now();
                        g.coordination.heard();
                        if let Err(e) = g.apply(&payload).await {
                            tracing::warn!(error = %e, "cannot apply a coordination message; resubscribing");
                            return;
                        }
                    }
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "coordination subscription lost; resubscribing");
                        return;
                    }
                    None => return,
                }
            }
            _ = tokio::time::sleep_until(last_message + stale_after) => {
                tracing::warn!("coordination channel silent past the bound; resubscribing");
                return;
            }
            _ = reconcile.tick() => {
                let Some(g) = gw.upgrade() else { return };
                if let Err(e) = g.reload_shared_state().await {
                    tracing::warn!(error = %e, "periodic reconciliation failed; resubscribing");
                    return;
                }
            }
        }
    }
}

async fn heartbeat(gw: Weak<Gateway>) {
    let every = match gw.upgrade() {
        Some(g) => g.coordination.heartbeat_every(),
        None => return,
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(g) = gw.upgrade() else { return };
        let policy_revision = g.policy.current().revision().to_string();
        g.coordination
            .announce(Event::Heartbeat { policy_revision });
    }
}
