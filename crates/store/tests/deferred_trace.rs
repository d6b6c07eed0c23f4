//! Deferred trace appends (call outcomes) share the next durable commit, and
//! are still committed on their own when no durable append follows.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use behavry_core::{CallOutcome, DecisionId, TraceEvent, TraceEventKind};
use behavry_store::{Durability, Store};
use time::OffsetDateTime;

fn outcome(decision: &str) -> TraceEvent {
    TraceEvent {
        decision_id: DecisionId(decision.into()),
        time: OffsetDateTime::now_utc(),
        event: TraceEventKind::Outcome {
            outcome: CallOutcome::Cancelled,
        },
    }
}

#[tokio::test]
async fn a_deferred_event_rides_with_the_next_durable_append() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).await.unwrap();
    store
        .append_trace_deferred(&outcome("first"))
        .await
        .unwrap();
    let seq = store.append_trace(&outcome("second")).await.unwrap();
    let events = store.tail_trace(None, 10).await.unwrap();
    let ids: Vec<(u64, &str)> = events
        .iter()
        .map(|(s, e)| (*s, e.decision_id.0.as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![(seq - 1, "first"), (seq, "second")],
        "committed in order, deferred first"
    );
}

#[tokio::test]
async fn a_lone_deferred_event_is_committed_after_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir_durable(dir.path(), Durability::OsBuffered)
        .await
        .unwrap();
    store
        .append_trace_deferred(&outcome("alone"))
        .await
        .unwrap();
    for _ in 0..100 {
        if store.latest_trace_seq().await.unwrap() == Some(1) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the deferred event was never committed");
}
