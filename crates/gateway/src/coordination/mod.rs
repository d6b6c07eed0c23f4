//! Keeping several replicas on one store in step.
//!
//! Every replica caches shared state in snapshots (agents, kill switches,
//! grants, workflow revocations, tool pins) and holds calls waiting on
//! approvals that any replica's operators may decide. After a write
//! commits, the writer announces it on a [`Channel`] (PostgreSQL
//! `LISTEN`/`NOTIFY` with several replicas; nothing with one process), and
//! every replica, the writer included, re-reads what changed from the
//! store: the store is the truth, a message only says where to look, so
//! handling one twice changes nothing.
//!
//! Invariants:
//! - A replica that has not heard from the channel for longer than the
//!   bound, or whose subscription was lost and not yet followed by a full
//!   reload, is **stale**: every decision is denied with
//!   `coordination_stale` until it is current again. Heartbeats keep a
//!   healthy channel talking, so silence means trouble.
//! - Each (re)subscription is followed by a reload of everything cached,
//!   because messages sent while unsubscribed are lost; the replica only
//!   counts as current once that reload succeeded.
//! - Losing the channel or the store never turns a deny into an allow.

mod handle;
mod postgres;

pub use postgres::PgChannel;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default bound on silence before a replica's view counts as stale.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(10);

/// Why a channel operation failed (the connection is gone, in practice).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ChannelError(pub String);

/// Where replicas announce committed changes to each other.
#[async_trait::async_trait]
pub trait Channel: Send + Sync + 'static {
    /// Send one message to every subscriber, the sender's included.
    async fn publish(&self, payload: &str) -> Result<(), ChannelError>;
    /// Start receiving; messages sent before this returns are not seen.
    async fn subscribe(&self) -> Result<Box<dyn Subscription>, ChannelError>;
}

#[async_trait::async_trait]
pub trait Subscription: Send {
    /// The next message; an error means messages may have been lost and
    /// the subscription must be replaced.
    async fn next(&mut self) -> Result<String, ChannelError>;
}

/// What changed. Handlers re-read the store; none carries state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// "I am here", with the policy revision active on the sender.
    Heartbeat { policy_revision: String },
    /// Kill switches or grants changed.
    Controls,
    /// An agent was created, revoked or had its credential rotated.
    Agents,
    /// An approval left `pending` (approved, rejected, expired).
    Approval { id: String },
    /// A workflow delegation block was revoked.
    Revocations,
    /// A tool definition pin changed (approved).
    ToolPin { upstream: String, tool: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct Message {
    from: String,
    #[serde(flatten)]
    event: Event,
}

/// How a gateway coordinates: the channel (none for a single process) and
/// the staleness bound.
#[derive(Clone)]
pub struct CoordinationSettings {
    pub channel: Option<Arc<dyn Channel>>,
    pub stale_after: Duration,
}

impl Default for CoordinationSettings {
    fn default() -> Self {
        CoordinationSettings {
            channel: None,
            stale_after: DEFAULT_STALE_AFTER,
        }
    }
}

impl std::fmt::Debug for CoordinationSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoordinationSettings")
            .field("shared", &self.channel.is_some())
            .field("stale_after", &self.stale_after)
            .finish()
    }
}

/// Another replica, as last heard.
#[derive(Debug, Clone)]
struct Peer {
    policy_revision: String,
    seen: Instant,
}

/// What `/readyz` shows about coordination.
#[derive(Debug, Clone, Serialize)]
pub struct CoordinationStatus {
    pub replica: String,
    /// `single_process`, `current` or `stale`.
    pub state: &'static str,
    pub stale_after_secs: f64,
    /// Milliseconds since the channel was last heard (shared only).
    pub last_heard_ms: Option<u64>,
    /// Replicas heard recently, with their active policy revision.
    pub peers: Vec<PeerStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerStatus {
    pub replica: String,
    pub policy_revision: String,
    pub last_seen_ms: u64,
}

/// One replica's coordination state.
pub struct Coordination {
    channel: Option<Arc<dyn Channel>>,
    replica: String,
    stale_after: Duration,
    epoch: Instant,
    /// Milliseconds after `epoch` when the channel was last heard.
    last_heard_ms: AtomicU64,
    /// Subscribed and reloaded since the last loss.
    in_sync: AtomicBool,
    peers: Mutex<BTreeMap<String, Peer>>,
}

impl Coordination {
    pub fn new(settings: &CoordinationSettings) -> Self {
        Coordination {
            channel: settings.channel.clone(),
            replica: uuid::Uuid::now_v7().to_string(),
            stale_after: settings.stale_after,
            epoch: Instant::now(),
            last_heard_ms: AtomicU64::new(0),
            in_sync: AtomicBool::new(false),
            peers: Mutex::new(BTreeMap::new()),
        }
    }

    /// This replica's id (new at every start).
    pub fn replica(&self) -> &str {
        &self.replica
    }

    pub fn is_shared(&self) -> bool {
        self.channel.is_some()
    }

    /// `Some(reason)` when decisions must be denied because this replica's
    /// view of the shared state may be out of date.
    pub fn stale(&self) -> Option<String> {
        self.channel.as_ref()?;
        if !self.in_sync.load(Ordering::Acquire) {
            return Some(
                "coordination_stale: this replica is not subscribed to the coordination channel, \
                 or has not reloaded the shared state since it lost it"
                    .to_string(),
            );
        }
        let silent = self.silence();
        (silent > self.stale_after).then(|| {
            format!(
                "coordination_stale: no coordination message for {:.1}s (bound {:.1}s)",
                silent.as_secs_f64(),
                self.stale_after.as_secs_f64()
            )
        })
    }

    /// Announce a committed change to every replica. Sent in the
    /// background; a message that cannot be sent is logged, and the
    /// periodic reconciliation applies the change within the bound.
    pub fn announce(&self, event: Event) {
        let Some(channel) = self.channel.clone() else {
            return;
        };
        let message = Message {
            from: self.replica.clone(),
            event,
        };
        let payload = match serde_json::to_string(&message) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "could not encode a coordination message");
                return;
            }
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = channel.publish(&payload).await {
                tracing::warn!(error = %e, "could not announce a change to the other replicas");
            }
        });
    }

    pub fn status(&self) -> CoordinationStatus {
        let state = match (&self.channel, self.stale()) {
            (None, _) => "single_process",
            (Some(_), None) => "current",
            (Some(_), Some(_)) => "stale",
        };
        let now = Instant::now();
        let peers = self
            .peers
            .lock()
            .map(|p| {
                p.iter()
                    .filter(|(_, peer)| now.duration_since(peer.seen) <= self.stale_after * 3)
                    .map(|(id, peer)| PeerStatus {
                        replica: id.clone(),
                        policy_revision: peer.policy_revision.clone(),
                        last_seen_ms: now.duration_since(peer.seen).as_millis() as u64,
                    })
                    .collect()
            })
            .unwrap_or_default();
        CoordinationStatus {
            replica: self.replica.clone(),
            state,
            stale_after_secs: self.stale_after.as_secs_f64(),
            last_heard_ms: self
                .channel
                .as_ref()
                .map(|_| self.silence().as_millis() as u64),
            peers,
        }
    }

    /// How often heartbeats are sent: a fifth of the bound, within
    /// 100 ms..2 s, so several may be lost before a replica turns stale.
    pub fn heartbeat_every(&self) -> Duration {
        (self.stale_after / 5).clamp(Duration::from_millis(100), Duration::from_secs(2))
    }

    fn silence(&self) -> Duration {
        let heard = Duration::from_millis(self.last_heard_ms.load(Ordering::Acquire));
        self.epoch.elapsed().saturating_sub(heard)
    }

    fn heard(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_heard_ms.fetch_max(now, Ordering::AcqRel);
    }

    fn set_in_sync(&self, in_sync: bool) {
        if in_sync {
            self.heard();
        }
        let was = self.in_sync.swap(in_sync, Ordering::AcqRel);
        if was != in_sync {
            if in_sync {
                tracing::info!("coordination channel subscribed and shared state reloaded");
            } else {
                tracing::warn!(
                    "coordination lost: decisions are denied until shared state is reloaded"
                );
            }
        }
    }

    /// Remember a peer's heartbeat; returns `true` when its policy
    /// revision differs from what it was (or it is new).
    fn saw_peer(&self, from: &str, policy_revision: &str) -> bool {
        let Ok(mut peers) = self.peers.lock() else {
            return false;
        };
        let changed = peers
            .get(from)
            .is_none_or(|p| p.policy_revision != policy_revision);
        peers.insert(
            from.to_string(),
            Peer {
                policy_revision: policy_revision.to_string(),
                seen: Instant::now(),
            },
        );
        changed
    }
}

#[cfg(test)]
mod tests;
