//! PostgreSQL specifics: the trace and its checkpoints cannot be changed,
//! a failed trace write consumes no sequence numbers and the writer
//! recovers, documents PostgreSQL's JSON types would refuse are stored,
//! and text is ordered byte-wise as in SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod postgres_support;

use behavry_core::{DecisionId, TraceEvent, TraceEventKind};
use behavry_store::conformance::{self, conformance_signing_key, verify_stored_trace};
use behavry_store::{seal_pending, Store, StoreError};
use postgres_support::{new_agent, new_approval, with_schema};

#[tokio::test]
async fn trace_and_checkpoints_cannot_be_changed_deleted_or_truncated() {
    with_schema(|schema| async move {
        let store = Store::open_url(&schema.url).await.unwrap();
        let event = conformance::sample_decision_event(&DecisionId("d".into()), "t");
        store.append_trace(&event).await.unwrap();
        seal_pending(&store, &conformance_signing_key(), 10)
            .await
            .unwrap();
        let side = schema.side().await;
        for sql in [
            "UPDATE trace_events SET body = '{}'",
            "UPDATE trace_events SET hash = NULL",
            "DELETE FROM trace_events",
            "TRUNCATE trace_events CASCADE",
            "UPDATE trace_checkpoints SET signature = ''",
            "DELETE FROM trace_checkpoints",
            "TRUNCATE trace_checkpoints",
        ] {
            let err = sqlx::query(sql).execute(&side).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(store.tail_trace(None, 10).await.unwrap(), vec![(1, event)]);
        verify_stored_trace(&store).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_trace_write_reaches_every_caller_and_consumes_no_numbers() {
    with_schema(|schema| async move {
        let store = Store::open_url(&schema.url).await.unwrap();
        let event = conformance::sample_decision_event(&DecisionId("d".into()), "t");
        assert_eq!(store.append_trace(&event).await.unwrap(), 1);
        let side = schema.side().await;
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
        let (kind, time): (String, i64) =
            sqlx::query_as("SELECT kind, time FROM trace_events WHERE seq = 1")
                .fetch_one(&side)
                .await
                .unwrap();
        assert_eq!(kind, "decision");
        assert_eq!(
            i128::from(time),
            event.time.unix_timestamp_nanos(),
            "times are stored to the nanosecond"
        );
        assert_eq!(
            store.append_trace(&event).await.unwrap(),
            2,
            "failed batches consume no numbers"
        );
        verify_stored_trace(&store).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn nul_escapes_in_documents_are_stored_and_indexed() {
    with_schema(|schema| async move {
        let store = Store::open_url(&schema.url).await.unwrap();
        let mut approval = new_approval();
        approval.arguments = serde_json::json!({"path": "a\u{0}b"});
        let created = store.create_approval(approval).await.unwrap();
        assert_eq!(
            store.get_approval(&created.id).await.unwrap(),
            Some(created)
        );

        let agent = store.create_agent(new_agent("nul")).await.unwrap();
        let mut event = conformance::sample_decision_event(&DecisionId("nul".into()), "t");
        if let TraceEventKind::Decision {
            agent: identity,
            arguments,
            ..
        } = &mut event.event
        {
            identity.id = agent.id.clone();
            *arguments = serde_json::json!({"path": "a\u{0}b", "x": "\\u0000"});
        }
        let seq = store.append_trace(&event).await.unwrap();
        let stored: Vec<(u64, TraceEvent)> = store.tail_trace(Some(seq - 1), 1).await.unwrap();
        assert_eq!(stored, vec![(seq, event.clone())]);
        let activity = store.agent_last_activity().await.unwrap();
        assert_eq!(activity.get(&agent.id.0), Some(&event.time));
        verify_stored_trace(&store).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn last_activity_can_use_the_agent_decision_index() {
    with_schema(|schema| async move {
        Store::migrate_url(&schema.url).await.unwrap();
        let side = schema.side().await;
        let mut conn = side.acquire().await.unwrap();
        sqlx::query("SET enable_seqscan = off")
            .execute(&mut *conn)
            .await
            .unwrap();
        let plan: Vec<String> = sqlx::query_scalar(
            "EXPLAIN SELECT time FROM trace_events WHERE kind = 'decision' \
             AND behavry_trace_agent_id(body) = 'a' ORDER BY seq DESC LIMIT 1",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert!(
            plan.iter()
                .any(|l| l.contains("trace_events_agent_decisions")),
            "{plan:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn names_are_ordered_byte_wise_as_in_sqlite() {
    with_schema(|schema| async move {
        let store = Store::open_url(&schema.url).await.unwrap();
        for name in ["beta", "Zulu", "alpha", "_under", "Émile"] {
            store.create_agent(new_agent(name)).await.unwrap();
        }
        let names: Vec<String> = store
            .list_agents()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["Zulu", "_under", "alpha", "beta", "Émile"]);
    })
    .await;
}

/// Connections the server ends (a database restart, a failover) are
/// replaced: the store keeps working without being reopened.
#[tokio::test]
async fn lost_connections_are_replaced() {
    with_schema(|schema| async move {
        let url = format!("{}&application_name={}", schema.url, schema.name);
        let store = Store::open_url(&url).await.unwrap();
        let event = conformance::sample_decision_event(&DecisionId("before".into()), "t");
        assert_eq!(store.append_trace(&event).await.unwrap(), 1);
        store.put_setting("k", "v").await.unwrap();

        let side = schema.side().await;
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&schema.name)
        .fetch_all(&side)
        .await
        .unwrap();
        assert!(
            ended.len() >= 2 && ended.iter().all(|e| *e),
            "the pool's and the trace writer's connections were ended: {ended:?}"
        );

        store.ping().await.unwrap();
        assert_eq!(store.get_setting("k").await.unwrap().as_deref(), Some("v"));
        let event = conformance::sample_decision_event(&DecisionId("after".into()), "t");
        assert_eq!(store.append_trace(&event).await.unwrap(), 2);
        verify_stored_trace(&store).await.unwrap();
    })
    .await;
}
