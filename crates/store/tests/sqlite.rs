//! The shared conformance suite against SQLite, plus SQLite-specific
//! behaviour: opening, URLs, persistence across reopen, write failures.
//! (`tests/postgres.rs` runs the same suite against PostgreSQL.)

use behavry_core::{AgentId, CallKind, DecisionId};
use behavry_store::conformance::{self, fresh_credential_hash};
use behavry_store::{ApprovalStatus, NewAgent, NewApproval, SqliteStore, Store, StoreError};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

#[allow(clippy::unwrap_used)] // test helper
async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(&dir.path().join("data")).await.unwrap();
    (dir, store)
}

macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let (_dir, store) = fresh().await;
            conformance::$name(&store).await.unwrap();
        }
    )*};
}

conformance_tests!(
    ping,
    tool_pins_lifecycle,
    settings_round_trip,
    agents_create_list_and_lookup,
    agents_reject_duplicates_and_bad_hashes,
    agents_revoke_is_idempotent,
    agents_rotate_credential,
    approvals_lifecycle,
    approvals_double_resolution_conflicts,
    approvals_concurrent_resolution_has_one_winner,
    approvals_expiry,
    approvals_list_order_and_limit,
    approvals_n_of_m_votes,
    approvals_concurrent_votes_count_once_each,
    approvals_found_by_call_and_collected_once,
    grants_lifecycle,
    kill_switches_lifecycle,
    trace_append_contiguous_under_concurrency,
    trace_tail_and_decision_order,
    trace_records_form_a_hash_chain,
    trace_checkpoints_are_contiguous,
    trace_sealing_covers_every_record,
    workflows_record_list_and_revoke,
    workflow_ledgers_serialize_updates,
    workflow_ledgers_are_pruned_after_expiry,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_suite_runs_twice_on_one_store() {
    let (_dir, store) = fresh().await;
    conformance::run_all(&store).await.unwrap();
    conformance::run_all(&store).await.unwrap();
}

#[tokio::test]
async fn trace_on_an_empty_store() {
    let (_dir, store) = fresh().await;
    assert_eq!(store.latest_trace_seq().await.unwrap(), None);
    assert!(store.tail_trace(None, 10).await.unwrap().is_empty());
    let event = conformance::sample_decision_event(&DecisionId("d".into()), "t");
    assert_eq!(
        store.append_trace(&event).await.unwrap(),
        1,
        "the first event is number 1"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn open_creates_a_private_directory_and_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let store = SqliteStore::open(&data).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("behavry.db")), 0o600);
    store.close().await;
    let side =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", data.join("behavry.db").display()))
            .await
            .unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&side)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
}

#[tokio::test]
async fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let now = OffsetDateTime::now_utc();
    let (agent, approval, seqs) = {
        let store = Store::open_dir(&data).await.unwrap();
        let agent = store
            .create_agent(NewAgent {
                name: "persisted".into(),
                role: "writer".into(),
                labels: BTreeMap::from([("env".into(), "prod".into())]),
                owner: None,
                credential_hash: fresh_credential_hash(),
            })
            .await
            .unwrap();
        store.revoke_agent("persisted").await.unwrap();
        store.put_setting("admin_token_hash", "abc").await.unwrap();
        let approval = store
            .create_approval(NewApproval {
                decision_id: DecisionId("dec-1".into()),
                agent_id: agent.id.clone(),
                agent_name: agent.name.clone(),
                agent_owner: None,
                method: CallKind::ResourcesRead,
                upstream: "files".into(),
                tool: "file:///etc/hosts".into(),
                arguments: serde_json::json!({}),
                call_hash: "h".into(),
                rule: behavry_core::ApprovalRule::fallback(300),
                context: serde_json::Value::Null,
                reasons: vec![],
                created_at: now,
                expires_at: now + Duration::minutes(5),
            })
            .await
            .unwrap();
        let mut seqs = Vec::new();
        for i in 0..3 {
            let event =
                conformance::sample_decision_event(&DecisionId("dec-1".into()), &format!("t{i}"));
            seqs.push(store.append_trace(&event).await.unwrap());
        }
        (
            store.get_agent_by_name("persisted").await.unwrap().unwrap(),
            approval,
            seqs,
        )
    };
    assert_eq!(seqs, vec![1, 2, 3]);

    let store = Store::open_dir(&data).await.unwrap();
    assert_eq!(
        store.get_agent_by_name("persisted").await.unwrap(),
        Some(agent)
    );
    assert_eq!(
        store
            .get_setting("admin_token_hash")
            .await
            .unwrap()
            .as_deref(),
        Some("abc")
    );
    assert_eq!(
        store.get_approval(&approval.id).await.unwrap(),
        Some(approval.clone())
    );
    assert_eq!(
        store
            .trace_for_decision(&DecisionId("dec-1".into()))
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(store.latest_trace_seq().await.unwrap(), Some(3));
    let next = conformance::sample_decision_event(&DecisionId("dec-2".into()), "t");
    assert_eq!(
        store.append_trace(&next).await.unwrap(),
        4,
        "numbering continues after reopen"
    );
    let resolved = store
        .resolve_approval(&approval.id, ApprovalStatus::Approved, None, None)
        .await
        .unwrap();
    assert_eq!(resolved.status, ApprovalStatus::Approved);
}

#[tokio::test]
async fn open_url_accepts_sqlite_and_refuses_unknown_schemes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("sub").join("via-url.db").display()
    );
    let store = Store::open_url(&url).await.unwrap();
    store.ping().await.unwrap();
    store.put_setting("k", "v").await.unwrap();
    drop(store);
    let reopened = Store::open_url(&url).await.unwrap();
    assert_eq!(
        reopened.get_setting("k").await.unwrap().as_deref(),
        Some("v")
    );

    for bad in [
        "mysql://x/y",
        "behavry.db",
        "sqlite://:memory:",
        "sqlite://",
        "sqlite://x.db?mode=memory",
    ] {
        assert!(
            matches!(Store::open_url(bad).await, Err(StoreError::Invalid(_))),
            "{bad} must be refused"
        );
    }
}

#[tokio::test]
async fn failed_trace_write_reaches_every_waiting_caller() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("behavry.db");
    let store = Store::open_dir(dir.path()).await.unwrap();
    let event = conformance::sample_decision_event(&DecisionId("d".into()), "t");
    assert_eq!(store.append_trace(&event).await.unwrap(), 1);

    // Break the trace table behind the store's back.
    let side = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("ALTER TABLE trace_events RENAME TO trace_events_moved")
        .execute(&side)
        .await
        .unwrap();

    let appends: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            let event = event.clone();
            tokio::spawn(async move { store.append_trace(&event).await })
        })
        .collect();
    for append in appends {
        assert!(matches!(
            append.await.unwrap(),
            Err(StoreError::Unavailable(_))
        ));
    }

    sqlx::query("ALTER TABLE trace_events_moved RENAME TO trace_events")
        .execute(&side)
        .await
        .unwrap();
    let (decision_id, kind, time): (String, String, i64) =
        sqlx::query_as("SELECT decision_id, kind, time FROM trace_events WHERE seq = 1")
            .fetch_one(&side)
            .await
            .unwrap();
    assert_eq!((decision_id.as_str(), kind.as_str()), ("d", "decision"));
    assert_eq!(
        i128::from(time),
        event.time.unix_timestamp_nanos(),
        "indexed columns are stored exactly"
    );
    assert_eq!(
        store.append_trace(&event).await.unwrap(),
        2,
        "failed batches consume no numbers"
    );
}

#[tokio::test]
async fn trace_rows_cannot_be_changed_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).await.unwrap();
    let event = conformance::sample_decision_event(&DecisionId("d".into()), "t");
    store.append_trace(&event).await.unwrap();
    let side = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("behavry.db").display()
    ))
    .await
    .unwrap();
    for sql in [
        "UPDATE trace_events SET body = '{}'",
        "DELETE FROM trace_events",
    ] {
        let err = sqlx::query(sql).execute(&side).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(store.tail_trace(None, 10).await.unwrap(), vec![(1, event)]);
}

#[tokio::test]
async fn agent_ids_are_distinct_uuids() {
    let (_dir, store) = fresh().await;
    let mut ids = std::collections::BTreeSet::new();
    for i in 0..20 {
        let agent = store
            .create_agent(NewAgent {
                name: format!("agent-{i}"),
                role: "r".into(),
                labels: BTreeMap::new(),
                owner: None,
                credential_hash: fresh_credential_hash(),
            })
            .await
            .unwrap();
        assert!(ids.insert(agent.id.clone()));
        assert_eq!(agent.identity().id, AgentId(agent.id.0.clone()));
    }
}
