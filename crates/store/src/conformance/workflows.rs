//! Workflows: records and their conflicts, idempotent revocation, and
//! ledger updates that are serialized (no lost update under concurrency),
//! refuse without writing, and are pruned after expiry.

use super::unique;
use crate::{NewRevocation, Store, StoreError, WorkflowRecord};
use serde_json::json;
use time::{Duration, OffsetDateTime};

fn record(id: &str, created_at: OffsetDateTime) -> WorkflowRecord {
    WorkflowRecord {
        id: id.to_string(),
        purpose: "weekly report".into(),
        started_by: "orchestrator".into(),
        scope: json!({"tools": ["db.*"], "resources": ["*"], "flags": []}),
        budgets: json!({"calls": 5}),
        max_depth: 2,
        root_revocation_id: format!("rev{}", unique()),
        created_at,
        expires_at: created_at + Duration::hours(1),
    }
}

pub async fn workflows_record_list_and_revoke(store: &Store) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let older = record(&format!("wf_{}", unique()), now - Duration::seconds(10));
    let newer = record(&format!("wf_{}", unique()), now);
    store.create_workflow(&older).await?;
    store.create_workflow(&newer).await?;
    match store.create_workflow(&older).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a second workflow with the same id must conflict, got {other:?}"),
    }
    assert_eq!(store.get_workflow(&older.id).await?.as_ref(), Some(&older));
    assert_eq!(store.get_workflow("wf_absent").await?, None);
    let listed = store.list_workflows(1_000).await?;
    let pos = |id: &str| listed.iter().position(|w| w.id == id);
    match (pos(&newer.id), pos(&older.id)) {
        (Some(n), Some(o)) => assert!(n < o, "newest first"),
        other => panic!("both workflows must be listed, got {other:?}"),
    }
    assert_eq!(store.list_workflows(1).await?.len(), 1);

    let id = format!("rev{}", unique());
    let first = store
        .revoke_delegation(NewRevocation {
            revocation_id: id.clone(),
            workflow_id: Some(older.id.clone()),
            operator: "alice".into(),
            reason: Some("leaked".into()),
        })
        .await?;
    let again = store
        .revoke_delegation(NewRevocation {
            revocation_id: id.clone(),
            workflow_id: None,
            operator: "bob".into(),
            reason: None,
        })
        .await?;
    assert_eq!(first, again, "revoking again keeps the first record");
    assert_eq!(first.operator, "alice");
    let all = store.list_revocations().await?;
    assert_eq!(all.iter().filter(|r| r.revocation_id == id).count(), 1);
    Ok(())
}

/// A counter document `{"n": N}` with a limit: `update` adds one or refuses.
fn increment(limit: u64) -> impl Fn(Option<&str>) -> Result<String, String> + Send + Sync {
    move |current| {
        let n = match current {
            None => 0,
            Some(text) => serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v["n"].as_u64())
                .ok_or_else(|| format!("bad ledger {text}"))?,
        };
        if n >= limit {
            return Err(format!("limit {limit} reached"));
        }
        Ok(json!({"n": n + 1}).to_string())
    }
}

pub async fn workflow_ledgers_serialize_updates(store: &Store) -> Result<(), StoreError> {
    let workflow = format!("wf_{}", unique());
    let expires = OffsetDateTime::now_utc() + Duration::hours(1);
    assert_eq!(store.get_workflow_ledger(&workflow).await?, None);
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let store = store.clone();
            let workflow = workflow.clone();
            tokio::spawn(async move {
                store
                    .update_workflow_ledger(&workflow, expires, &increment(16))
                    .await
            })
        })
        .collect();
    let mut admitted = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(Ok(_))) => admitted += 1,
            Ok(Ok(Err(_))) => refused += 1,
            Ok(Err(e)) => return Err(e),
            Err(join) => panic!("ledger task failed: {join}"),
        }
    }
    assert_eq!(
        (admitted, refused),
        (16, 8),
        "exactly the limit is admitted"
    );
    assert_eq!(
        store.get_workflow_ledger(&workflow).await?.as_deref(),
        Some(r#"{"n":16}"#),
        "no update was lost and no refusal wrote"
    );
    Ok(())
}

pub async fn workflow_ledgers_are_pruned_after_expiry(store: &Store) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc();
    let ended = format!("wf_{}", unique());
    let live = format!("wf_{}", unique());
    store
        .update_workflow_ledger(&ended, now - Duration::minutes(1), &increment(1))
        .await?
        .map_err(StoreError::Invalid)?;
    store
        .update_workflow_ledger(&live, now + Duration::hours(1), &increment(1))
        .await?
        .map_err(StoreError::Invalid)?;
    assert!(store.prune_workflow_ledgers(now).await? >= 1);
    assert_eq!(store.get_workflow_ledger(&ended).await?, None);
    assert!(store.get_workflow_ledger(&live).await?.is_some());
    Ok(())
}
