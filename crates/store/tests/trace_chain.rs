//! SQLite specifics of the trace hash chain: rows from before the chain are
//! chained on open, chained rows and checkpoints cannot be changed, and a
//! read-only store reads the chain without writing anything.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use behavry_core::DecisionId;
use behavry_store::conformance::{self, conformance_signing_key, verify_stored_trace};
use behavry_store::{seal_pending, Store, StoreError};
use std::path::Path;

async fn side(dir: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.join("behavry.db").display()))
        .await
        .unwrap()
}

async fn append(store: &Store, n: usize) {
    for i in 0..n {
        let event = conformance::sample_decision_event(&DecisionId(format!("d{i}")), "t");
        store.append_trace(&event).await.unwrap();
    }
}

#[tokio::test]
async fn rows_from_before_the_chain_are_chained_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = behavry_store::SqliteStore::open(dir.path()).await.unwrap();
        store.close().await;
    }
    // Rows as a version without the chain wrote them.
    let pool = side(dir.path()).await;
    for seq in 1..=3i64 {
        let event = conformance::sample_decision_event(&DecisionId(format!("old{seq}")), "t");
        sqlx::query("INSERT INTO trace_events (seq, decision_id, kind, time, body) VALUES (?, ?, 'decision', ?, ?)")
            .bind(seq)
            .bind(&event.decision_id.0)
            .bind(i64::try_from(event.time.unix_timestamp_nanos()).unwrap())
            .bind(serde_json::to_string(&event).unwrap())
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let store = Store::open_dir(dir.path()).await.unwrap();
    append(&store, 2).await;
    let report = verify_stored_trace(&store).await.unwrap();
    assert_eq!(report.head.map(|(seq, _)| seq), Some(5));
    assert_eq!(
        store.tail_trace(None, 10).await.unwrap().len(),
        5,
        "old rows still decode"
    );
}

#[tokio::test]
async fn chained_rows_and_checkpoints_cannot_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).await.unwrap();
    append(&store, 3).await;
    seal_pending(&store, &conformance_signing_key(), 100)
        .await
        .unwrap();
    let pool = side(dir.path()).await;
    for sql in [
        "UPDATE trace_events SET hash = prev_hash WHERE seq = 2",
        "UPDATE trace_events SET prev_hash = NULL, hash = NULL WHERE seq = 2",
        "UPDATE trace_events SET seq = 10 WHERE seq = 3",
        "DELETE FROM trace_events WHERE seq = 3",
        "UPDATE trace_checkpoints SET signature = ''",
        "DELETE FROM trace_checkpoints",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    verify_stored_trace(&store).await.unwrap();
}

#[tokio::test]
async fn a_read_only_store_reads_the_chain_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Store::open_read_only(dir.path(), None).await,
        Err(StoreError::NotFound(_))
    ));
    let store = Store::open_dir(dir.path()).await.unwrap();
    append(&store, 4).await;
    seal_pending(&store, &conformance_signing_key(), 100)
        .await
        .unwrap();

    let reader = Store::open_read_only(dir.path(), None).await.unwrap();
    assert_eq!(reader.trace_records(0, 10).await.unwrap().len(), 4);
    assert_eq!(
        reader.latest_trace_checkpoint().await.unwrap(),
        store.latest_trace_checkpoint().await.unwrap()
    );
    verify_stored_trace(&reader).await.unwrap();
    let event = conformance::sample_decision_event(&DecisionId("x".into()), "t");
    match reader.append_trace(&event).await {
        Err(StoreError::Unavailable(msg)) => assert!(msg.contains("read-only"), "{msg}"),
        other => panic!("a read-only store must refuse appends, got {other:?}"),
    }
    assert!(reader.put_setting("k", "v").await.is_err());
    assert!(
        reader.ping().await.is_err(),
        "a read-only store cannot serve"
    );

    // The writer still works beside the reader.
    append(&store, 1).await;
    assert_eq!(reader.latest_trace_seq().await.unwrap(), Some(5));
}
