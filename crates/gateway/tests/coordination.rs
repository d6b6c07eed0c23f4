#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Two gateways sharing one store and an in-memory channel behave as two
//! replicas: a kill switch engaged on one is in force on the other, a
//! replica that loses the channel turns stale and denies, and after the
//! channel returns it reloads what it missed.

use behavry_core::{KillScope, KillSubject};
use behavry_gateway::coordination::{Channel, ChannelError, CoordinationSettings, Subscription};
use behavry_gateway::{Gateway, GatewaySettings, Upstreams};
use behavry_policy::PolicyHandle;
use behavry_store::{NewKill, Store};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

const BOUND: Duration = Duration::from_millis(400);

/// A broadcast channel that can be taken down: publishing and subscribing
/// then fail, and open subscriptions end.
struct MemoryChannel {
    tx: broadcast::Sender<String>,
    down: Arc<AtomicBool>,
}

struct MemorySubscription {
    rx: broadcast::Receiver<String>,
    down: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl Channel for MemoryChannel {
    async fn publish(&self, payload: &str) -> Result<(), ChannelError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(ChannelError("down".into()));
        }
        let _ = self.tx.send(payload.to_string());
        Ok(())
    }

    async fn subscribe(&self) -> Result<Box<dyn Subscription>, ChannelError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(ChannelError("down".into()));
        }
        Ok(Box::new(MemorySubscription {
            rx: self.tx.subscribe(),
            down: self.down.clone(),
        }))
    }
}

#[async_trait::async_trait]
impl Subscription for MemorySubscription {
    async fn next(&mut self) -> Result<String, ChannelError> {
        loop {
            if self.down.load(Ordering::SeqCst) {
                return Err(ChannelError("down".into()));
            }
            match tokio::time::timeout(Duration::from_millis(20), self.rx.recv()).await {
                Ok(Ok(message)) => return Ok(message),
                Ok(Err(e)) => return Err(ChannelError(e.to_string())),
                Err(_) => continue,
            }
        }
    }
}

async fn replica(store: &Store, channel: Arc<dyn Channel>) -> Arc<Gateway> {
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let settings = GatewaySettings {
        coordination: CoordinationSettings {
            channel: Some(channel),
            stale_after: BOUND,
        },
        ..Default::default()
    };
    let gw = Gateway::new(
        settings,
        PolicyHandle::load_dir(&policies).unwrap(),
        store.clone(),
        Upstreams::new(vec![], vec![]),
    );
    assert!(
        gw.coordination.stale().is_some(),
        "stale until subscribed and loaded"
    );
    gw.spawn_coordination();
    assert!(gw.wait_coordinated(Duration::from_secs(5)).await);
    gw
}

fn killed(gw: &Gateway, agent: &str) -> Option<String> {
    gw.controls.kill_guard(&KillSubject {
        agent_name: agent,
        upstream: "database",
        tool: "query",
        workflow: None,
    })
}

async fn eventually(what: &str, within: Duration, check: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < within, "{what} not within {within:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

fn kill(agent: &str, reason: &str) -> NewKill {
    NewKill {
        scope: KillScope::Agent,
        target: Some(agent.to_string()),
        reason: reason.to_string(),
        engaged_by: "alice".to_string(),
    }
}

#[tokio::test]
async fn changes_propagate_and_a_replica_that_loses_the_channel_fails_closed_then_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).await.unwrap();
    let down = Arc::new(AtomicBool::new(false));
    let channel: Arc<dyn Channel> = Arc::new(MemoryChannel {
        tx: broadcast::channel(256).0,
        down: down.clone(),
    });
    let a = replica(&store, channel.clone()).await;
    let b = replica(&store, channel.clone()).await;

    // Engaged through A: in force on B well within the bound.
    let outcome = a.engage_kill(kill("rogue", "drill")).await.unwrap();
    let took = eventually("kill on B", BOUND, || killed(&b, "rogue").is_some()).await;
    assert!(took < BOUND, "{took:?}");
    assert!(killed(&b, "steady").is_none(), "only the named agent");
    a.release_kill(&outcome.record.id, "alice").await.unwrap();
    eventually("release on B", BOUND, || killed(&b, "rogue").is_none()).await;

    // Heartbeats keep a healthy replica current beyond the bound.
    tokio::time::sleep(BOUND * 2).await;
    assert_eq!(b.coordination.stale(), None);
    assert_eq!(b.coordination.status().state, "current");

    // The channel goes down: B turns stale (every decision denies)...
    down.store(true, Ordering::SeqCst);
    eventually("stale", BOUND * 3, || b.coordination.stale().is_some()).await;
    let reason = b.coordination.stale().unwrap();
    assert!(reason.starts_with("coordination_stale"), "{reason}");
    assert_eq!(b.coordination.status().state, "stale");
    // ...and a kill engaged meanwhile is announced to no one.
    a.engage_kill(kill("sneaky", "while down")).await.unwrap();
    tokio::time::sleep(BOUND).await;
    assert!(b.coordination.stale().is_some(), "still stale while down");

    // Back: B resubscribes, reloads what it missed, and is current again.
    down.store(false, Ordering::SeqCst);
    eventually("current again", BOUND * 5, || {
        b.coordination.stale().is_none()
    })
    .await;
    assert!(
        killed(&b, "sneaky").is_some(),
        "reloaded on resubscription: the missed kill is in force"
    );
}

#[tokio::test]
async fn one_process_is_never_stale() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).await.unwrap();
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let gw = Gateway::new(
        GatewaySettings::default(),
        PolicyHandle::load_dir(&policies).unwrap(),
        store,
        Upstreams::new(vec![], vec![]),
    );
    gw.spawn_coordination();
    assert_eq!(gw.coordination.stale(), None);
    assert_eq!(gw.coordination.status().state, "single_process");
    assert!(gw.wait_coordinated(Duration::ZERO).await);
}
