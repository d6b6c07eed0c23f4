//! The shared conformance suite against a real PostgreSQL, plus what is
//! specific to it: migrations, read-only mode, and two stores (two pools,
//! as two gateway replicas have) sharing one database.
//!
//! The database is `postgres://postgres@127.0.0.1:5432/test` unless
//! `BEHAVRY_TEST_POSTGRES_URL` names another. Every test works in a schema
//! of its own (random name, set as `search_path` on each connection) that
//! is dropped when the test ends. An unreachable database fails the tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod postgres_support;

use behavry_core::DecisionId;
use behavry_store::conformance::{self, conformance_signing_key, verify_stored_trace};
use behavry_store::{seal_pending, Store, StoreError};
use postgres_support::{with_schema, TestSchema};

macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            with_schema(|schema| async move {
                let store = Store::open_url(&schema.url).await.unwrap();
                conformance::$name(&store).await.unwrap();
            })
            .await;
        }
    )*};
}

conformance_tests!(
    ping,
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
    operators_create_list_update_disable,
    console_sessions_lifecycle,
    console_sessions_end_with_password_change_and_disable,
    console_sessions_stale_are_removed,
    agent_last_activity_follows_decisions,
    baselines_upsert_list_delete,
    tool_pins_lifecycle,
    workflows_record_list_and_revoke,
    workflow_ledgers_serialize_updates,
    workflow_ledgers_are_pruned_after_expiry,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_suite_runs_twice_on_one_store() {
    with_schema(|schema| async move {
        let store = Store::open_url(&schema.url).await.unwrap();
        conformance::run_all(&store).await.unwrap();
        conformance::run_all(&store).await.unwrap();
        verify_stored_trace(&store).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn migrations_are_idempotent_and_data_survives_reopen() {
    with_schema(|schema| async move {
        let first = Store::open_url(&schema.url).await.unwrap();
        first.put_setting("k", "v").await.unwrap();
        let event = conformance::sample_decision_event(&DecisionId("d".into()), "t");
        assert_eq!(first.append_trace(&event).await.unwrap(), 1);
        drop(first);

        Store::migrate_url(&schema.url).await.unwrap();
        Store::migrate_url(&schema.url).await.unwrap();
        let again = Store::open_url(&schema.url).await.unwrap();
        assert_eq!(again.get_setting("k").await.unwrap().as_deref(), Some("v"));
        assert_eq!(
            again.append_trace(&event).await.unwrap(),
            2,
            "numbering continues after reopen"
        );
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&schema.side().await)
            .await
            .unwrap();
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "sql")
            })
            .count();
        assert_eq!(applied as usize, files, "each migration is applied once");
    })
    .await;
}

#[tokio::test]
async fn migrate_alone_creates_the_schema() {
    with_schema(|schema| async move {
        assert!(
            Store::open_read_only(std::path::Path::new("unused"), Some(&schema.url))
                .await
                .is_err(),
            "an empty schema cannot be opened read-only"
        );
        Store::migrate_url(&schema.url).await.unwrap();
        let store = Store::open_read_only(std::path::Path::new("unused"), Some(&schema.url))
            .await
            .unwrap();
        assert_eq!(store.latest_trace_seq().await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn read_only_store_reads_and_refuses_every_write() {
    with_schema(|schema| async move {
        let writer = Store::open_url(&schema.url).await.unwrap();
        writer.put_setting("k", "v").await.unwrap();
        for i in 0..3 {
            let event = conformance::sample_decision_event(&DecisionId(format!("d{i}")), "t");
            writer.append_trace(&event).await.unwrap();
        }
        let key = conformance_signing_key();
        seal_pending(&writer, &key, 100).await.unwrap();

        let reader = Store::open_read_only(std::path::Path::new("unused"), Some(&schema.url))
            .await
            .unwrap();
        assert_eq!(reader.get_setting("k").await.unwrap().as_deref(), Some("v"));
        let report = verify_stored_trace(&reader).await.unwrap();
        assert_eq!((report.records, report.sealed_through), (3, 3));
        assert!(reader.put_setting("k", "changed").await.is_err());
        assert!(reader
            .create_agent(postgres_support::new_agent("ro"))
            .await
            .is_err());
        let event = conformance::sample_decision_event(&DecisionId("ro".into()), "t");
        assert!(matches!(
            reader.append_trace(&event).await,
            Err(StoreError::Unavailable(_))
        ));
        assert!(
            reader.ping().await.is_err(),
            "a read-only store is not ready"
        );
        assert_eq!(
            writer.get_setting("k").await.unwrap().as_deref(),
            Some("v"),
            "nothing was written"
        );
        assert_eq!(writer.latest_trace_seq().await.unwrap(), Some(3));
    })
    .await;
}

/// Two stores on one database, as two replicas: concurrent appends through
/// both form one contiguous chain that verifies, sealed by both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_append_one_verifiable_chain() {
    with_schema(|schema| async move {
        let replicas = [
            Store::open_url(&schema.url).await.unwrap(),
            Store::open_url(&schema.url).await.unwrap(),
        ];
        let tasks: Vec<_> = (0..8)
            .map(|task| {
                let store = replicas[task % 2].clone();
                tokio::spawn(async move {
                    let mut acked = Vec::new();
                    for i in 0..100 {
                        let id = DecisionId(format!("r{}-{task}-{i}", task % 2));
                        let event = conformance::sample_decision_event(&id, "t");
                        acked.push((store.append_trace(&event).await.unwrap(), event));
                    }
                    acked
                })
            })
            .collect();
        let mut acked = Vec::new();
        for task in tasks {
            acked.extend(task.await.unwrap());
        }
        acked.sort_by_key(|(seq, _)| *seq);
        let seqs: Vec<u64> = acked.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(
            seqs,
            (1..=800).collect::<Vec<_>>(),
            "one contiguous numbering"
        );
        for replica in &replicas {
            assert_eq!(replica.tail_trace(Some(0), 1000).await.unwrap(), acked);
        }

        let key = conformance_signing_key();
        let (a, b) = tokio::join!(
            seal_pending(&replicas[0], &key, 64),
            seal_pending(&replicas[1], &key, 64)
        );
        assert!(
            a.is_ok() || b.is_ok(),
            "at least one replica seals: {a:?} {b:?}"
        );
        seal_pending(&replicas[0], &key, 64).await.unwrap();
        let report = verify_stored_trace(&replicas[1]).await.unwrap();
        assert_eq!((report.records, report.sealed_through), (800, 800));
        assert_eq!(report.unsealed, 0);
    })
    .await;
}

/// Concurrent resolutions and votes through two stores: one resolution
/// wins, and every vote is counted exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_resolve_an_approval_once() {
    with_schema(|schema| async move {
        let replicas = [
            Store::open_url(&schema.url).await.unwrap(),
            Store::open_url(&schema.url).await.unwrap(),
        ];
        for round in 0..5 {
            let approval = replicas[0]
                .create_approval(postgres_support::new_approval())
                .await
                .unwrap();
            let tasks: Vec<_> = (0..10)
                .map(|i| {
                    let store = replicas[(i + round) % 2].clone();
                    let id = approval.id.clone();
                    tokio::spawn(async move {
                        let status = if i % 2 == 0 {
                            behavry_store::ApprovalStatus::Approved
                        } else {
                            behavry_store::ApprovalStatus::Rejected
                        };
                        let operator = format!("op{i}");
                        store
                            .resolve_approval(&id, status, Some(&operator), None)
                            .await
                    })
                })
                .collect();
            let mut winners = Vec::new();
            for task in tasks {
                match task.await.unwrap() {
                    Ok(record) => winners.push(record),
                    Err(StoreError::Conflict(_)) => {}
                    Err(other) => panic!("unexpected error: {other}"),
                }
            }
            assert_eq!(winners.len(), 1, "exactly one resolution wins");
            let stored = replicas[1].get_approval(&approval.id).await.unwrap();
            assert_eq!(stored, Some(winners.remove(0)));
        }

        let mut new = postgres_support::new_approval();
        new.rule.required_approvals = 6;
        let approval = replicas[0].create_approval(new).await.unwrap();
        let votes: Vec<_> = (0..6)
            .map(|i| {
                let store = replicas[i % 2].clone();
                let id = approval.id.clone();
                tokio::spawn(async move {
                    let vote = behavry_store::NewVote {
                        operator: format!("op{i}"),
                        approve: true,
                        reason: None,
                        edited_arguments: None,
                    };
                    store.vote_approval(&id, vote).await
                })
            })
            .collect();
        for vote in votes {
            vote.await.unwrap().unwrap();
        }
        let done = replicas[0]
            .get_approval(&approval.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.status, behavry_store::ApprovalStatus::Approved);
        assert_eq!(done.approvals(), 6, "every vote counted once");
    })
    .await;
}

#[tokio::test]
async fn unreachable_database_is_unavailable_and_bad_urls_are_invalid() {
    match Store::open_url("postgres://behavry:s3cret@127.0.0.1:1/behavry").await {
        Err(StoreError::Unavailable(msg)) => assert!(!msg.contains("s3cret"), "{msg}"),
        other => panic!("an unreachable database must be unavailable, got {other:?}"),
    }
    for bad in ["postgres://u:s3cret@h:port/db", "mysql://x/y", "behavry.db"] {
        match Store::open_url(bad).await {
            Err(StoreError::Invalid(msg)) => assert!(!msg.contains("s3cret"), "{msg}"),
            other => panic!("{bad} must be invalid, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn schema_name_is_isolated_per_test() {
    with_schema(|schema: TestSchema| async move {
        let store = Store::open_url(&schema.url).await.unwrap();
        store.put_setting("isolated", "yes").await.unwrap();
        let side = schema.side().await;
        let found: String = sqlx::query_scalar(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'settings' \
             AND table_schema = current_schema()",
        )
        .fetch_one(&side)
        .await
        .unwrap();
        assert_eq!(found, schema.name);
    })
    .await;
}
