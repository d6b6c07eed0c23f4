//! Routing of incoming messages on a multiplexed (stdio) connection.
//!
//! Invariants:
//! - a response reaches the waiter registered under its id, at most once;
//! - a notification whose progress token belongs to an in-flight request goes
//!   to that request's interim channel, every other notification to the
//!   broadcast;
//! - a server->client request goes to the interim channel of the most recent
//!   in-flight request that has one, else to the broadcast;
//! - once the connection fails, every waiter is released (seeing `Closed`) and
//!   no new waiter can register.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::error::UpstreamError;
use crate::message::{classify, notification_progress_token, Incoming};
use crate::spec::ServerMessage;

pub(crate) type Outcome = Result<Value, Value>;

struct Waiter {
    reply: oneshot::Sender<Outcome>,
    progress_token: Option<Value>,
    interim: Option<mpsc::Sender<ServerMessage>>,
}

pub(crate) struct Router {
    upstream: String,
    alive: AtomicBool,
    waiters: Mutex<HashMap<u64, Waiter>>,
    broadcast: broadcast::Sender<ServerMessage>,
}

impl Router {
    pub(crate) fn new(upstream: &str, broadcast: broadcast::Sender<ServerMessage>) -> Self {
        Self {
            upstream: upstream.to_owned(),
            alive: AtomicBool::new(true),
            waiters: Mutex::new(HashMap::new()),
            broadcast,
        }
    }

    fn waiters(&self) -> MutexGuard<'_, HashMap<u64, Waiter>> {
        self.waiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Registers a waiter for request `id`.
    pub(crate) fn register(
        &self,
        id: u64,
        progress_token: Option<Value>,
        interim: Option<mpsc::Sender<ServerMessage>>,
    ) -> Result<oneshot::Receiver<Outcome>, UpstreamError> {
        let (reply, receiver) = oneshot::channel();
        let mut waiters = self.waiters();
        // Checked under the lock so `fail_all` cannot miss this waiter.
        if !self.is_alive() {
            return Err(UpstreamError::closed(&self.upstream));
        }
        waiters.insert(
            id,
            Waiter {
                reply,
                progress_token,
                interim,
            },
        );
        Ok(receiver)
    }

    /// Forgets request `id`; returns whether it was still waiting.
    pub(crate) fn remove(&self, id: u64) -> bool {
        self.waiters().remove(&id).is_some()
    }

    /// Marks the connection dead and releases every waiter.
    pub(crate) fn fail_all(&self) {
        let mut waiters = self.waiters();
        self.alive.store(false, Ordering::SeqCst);
        waiters.clear();
    }

    /// Routes one incoming message.
    pub(crate) fn route(&self, message: Value) {
        match classify(message) {
            Some(Incoming::Response { id, outcome }) => self.complete(&id, outcome),
            Some(Incoming::Server(server)) => self.route_server_message(server),
            None => {
                tracing::warn!(upstream = %self.upstream, "ignoring message that is not json-rpc")
            }
        }
    }

    fn complete(&self, id: &Value, outcome: Outcome) {
        let waiter = id.as_u64().and_then(|key| self.waiters().remove(&key));
        match waiter {
            Some(waiter) => {
                let _ = waiter.reply.send(outcome);
            }
            None => {
                tracing::debug!(upstream = %self.upstream, %id, "response for no waiting request")
            }
        }
    }

    fn route_server_message(&self, message: ServerMessage) {
        let target = {
            let waiters = self.waiters();
            match &message {
                ServerMessage::Notification(note) => notification_progress_token(note)
                    .and_then(|token| {
                        waiters
                            .values()
                            .find(|w| w.progress_token.as_ref() == Some(token))
                    })
                    .and_then(|w| w.interim.clone()),
                ServerMessage::Request(_) => waiters
                    .iter()
                    .filter(|(_, w)| w.interim.is_some())
                    .max_by_key(|(id, _)| **id)
                    .and_then(|(_, w)| w.interim.clone()),
            }
        };
        match target {
            Some(interim) => deliver_interim(&self.upstream, &interim, message, &self.broadcast),
            None => {
                let _ = self.broadcast.send(message);
            }
        }
    }
}

/// Sends to a request's interim channel without blocking the reader: a full
/// channel drops notifications (logged) but never server->client requests;
/// a closed channel sends requests to the broadcast instead.
pub(crate) fn deliver_interim(
    upstream: &str,
    interim: &mpsc::Sender<ServerMessage>,
    message: ServerMessage,
    broadcast: &broadcast::Sender<ServerMessage>,
) {
    match interim.try_send(message) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(message @ ServerMessage::Request(_))) => {
            let interim = interim.clone();
            tokio::spawn(async move {
                let _ = interim.send(message).await;
            });
        }
        Err(mpsc::error::TrySendError::Full(ServerMessage::Notification(_))) => {
            tracing::warn!(%upstream, "interim channel full; dropping a notification");
        }
        Err(mpsc::error::TrySendError::Closed(message @ ServerMessage::Request(_))) => {
            let _ = broadcast.send(message);
        }
        Err(mpsc::error::TrySendError::Closed(ServerMessage::Notification(_))) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn router() -> (Router, broadcast::Receiver<ServerMessage>) {
        let (tx, rx) = broadcast::channel(16);
        (Router::new("t", tx), rx)
    }

    #[tokio::test]
    async fn responses_reach_their_waiter_only() {
        let (router, _rx) = router();
        let one = router.register(1, None, None).unwrap();
        let two = router.register(2, None, None).unwrap();
        router.route(json!({"jsonrpc":"2.0","id":2,"result":{"n":2}}));
        router.route(json!({"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}}));
        assert_eq!(two.await.unwrap(), Ok(json!({"n":2})));
        assert_eq!(one.await.unwrap(), Err(json!({"code":-1,"message":"x"})));
    }

    #[tokio::test]
    async fn progress_goes_to_matching_request_and_other_notifications_to_broadcast() {
        let (router, mut rx) = router();
        let (itx, mut irx) = mpsc::channel(4);
        let _w = router.register(1, Some(json!("tok")), Some(itx)).unwrap();
        let progress = json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":1}});
        let other = json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"zzz"}});
        router.route(progress.clone());
        router.route(other.clone());
        assert_eq!(
            irx.recv().await,
            Some(ServerMessage::Notification(progress))
        );
        assert_eq!(rx.recv().await.unwrap(), ServerMessage::Notification(other));
    }

    #[tokio::test]
    async fn server_requests_go_to_latest_request_with_interim() {
        let (router, mut rx) = router();
        let (a_tx, mut a_rx) = mpsc::channel(4);
        let (b_tx, mut b_rx) = mpsc::channel(4);
        let _a = router.register(1, None, Some(a_tx)).unwrap();
        let _b = router.register(2, None, Some(b_tx)).unwrap();
        let _c = router.register(3, None, None).unwrap();
        let req = json!({"jsonrpc":"2.0","id":"s1","method":"roots/list"});
        router.route(req.clone());
        assert_eq!(b_rx.recv().await, Some(ServerMessage::Request(req.clone())));
        assert!(a_rx.try_recv().is_err());
        router.remove(1);
        router.remove(2);
        router.route(req.clone());
        assert_eq!(rx.recv().await.unwrap(), ServerMessage::Request(req));
    }

    #[tokio::test]
    async fn fail_all_releases_waiters_and_refuses_new_ones() {
        let (router, _rx) = router();
        let waiter = router.register(1, None, None).unwrap();
        router.fail_all();
        assert!(waiter.await.is_err());
        assert!(matches!(
            router.register(2, None, None),
            Err(UpstreamError::Closed { .. })
        ));
        assert!(!router.is_alive());
    }
}
