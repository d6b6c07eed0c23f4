//! Conformance checks for approvals: lifecycle, compare-and-set resolution,
//! races between operators, and expiry.

use super::unique;
use crate::{ApprovalRecord, ApprovalStatus, NewApproval, Store, StoreError};
use behavry_core::{AgentId, ApprovalRule, CallKind, DecisionId, Reason};
use time::{Duration, OffsetDateTime};

pub(crate) fn new_approval(created_at: OffsetDateTime, ttl: Duration) -> NewApproval {
    NewApproval {
        decision_id: DecisionId(uuid::Uuid::now_v7().to_string()),
        agent_id: AgentId(uuid::Uuid::new_v4().to_string()),
        agent_name: format!("agent-{}", unique()),
        agent_owner: Some("data-team".to_string()),
        method: CallKind::ToolsCall,
        upstream: "db".to_string(),
        tool: "drop_table".to_string(),
        arguments: serde_json::json!({"table": "users", "password": "[REDACTED]"}),
        call_hash: unique(),
        rule: ApprovalRule::fallback(300),
        context: serde_json::json!({"risk": null, "scan": null, "workflow": null}),
        reasons: vec![Reason::policy("destructive sql needs approval")],
        created_at,
        expires_at: created_at + ttl,
    }
}

async fn pending(store: &Store) -> Result<ApprovalRecord, StoreError> {
    store
        .create_approval(new_approval(OffsetDateTime::now_utc(), Duration::hours(1)))
        .await
}

pub async fn approvals_lifecycle(store: &Store) -> Result<(), StoreError> {
    let new = new_approval(OffsetDateTime::now_utc(), Duration::minutes(5));
    let created = store.create_approval(new.clone()).await?;
    assert!(
        uuid::Uuid::parse_str(&created.id).is_ok(),
        "approval id must be a uuid"
    );
    assert_eq!(created.status, ApprovalStatus::Pending);
    assert_eq!(
        (
            &created.decision_id,
            &created.agent_name,
            created.method,
            &created.arguments,
            &created.reasons
        ),
        (
            &new.decision_id,
            &new.agent_name,
            new.method,
            &new.arguments,
            &new.reasons
        )
    );
    assert_eq!(
        (created.created_at, created.expires_at),
        (new.created_at, new.expires_at)
    );
    assert_eq!(
        (
            created.decided_at,
            &created.decided_by,
            &created.decision_reason
        ),
        (None, &None, &None)
    );
    assert_eq!(
        store.get_approval(&created.id).await?,
        Some(created.clone())
    );
    assert_eq!(store.get_approval(&unique()).await?, None);

    let listed = store
        .list_approvals(Some(ApprovalStatus::Pending), 10_000)
        .await?;
    assert!(
        listed.iter().any(|a| a.id == created.id),
        "new approval is listed as pending"
    );

    let before = OffsetDateTime::now_utc() - Duration::seconds(1);
    let approved = store
        .resolve_approval(
            &created.id,
            ApprovalStatus::Approved,
            Some("alice"),
            Some("checked with owner"),
        )
        .await?;
    assert_eq!(approved.status, ApprovalStatus::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("alice"));
    assert_eq!(
        approved.decision_reason.as_deref(),
        Some("checked with owner")
    );
    let decided_at = approved
        .decided_at
        .unwrap_or_else(|| panic!("decided_at must be set"));
    assert!(decided_at >= before && decided_at <= OffsetDateTime::now_utc());
    assert_eq!(
        store.get_approval(&created.id).await?,
        Some(approved.clone())
    );

    let pending_now = store
        .list_approvals(Some(ApprovalStatus::Pending), 10_000)
        .await?;
    assert!(
        pending_now.iter().all(|a| a.id != created.id),
        "decided approval left the pending list"
    );
    let approved_list = store
        .list_approvals(Some(ApprovalStatus::Approved), 10_000)
        .await?;
    assert!(approved_list.iter().any(|a| a == &approved));
    Ok(())
}

pub async fn approvals_double_resolution_conflicts(store: &Store) -> Result<(), StoreError> {
    let approval = pending(store).await?;
    let approved = store
        .resolve_approval(&approval.id, ApprovalStatus::Approved, None, None)
        .await?;
    for status in [
        ApprovalStatus::Approved,
        ApprovalStatus::Rejected,
        ApprovalStatus::Expired,
    ] {
        match store
            .resolve_approval(&approval.id, status, Some("bob"), None)
            .await
        {
            Err(StoreError::Conflict(msg)) => {
                assert_eq!(msg, format!("approval {} is already approved", approval.id))
            }
            other => panic!("second resolution must conflict, got {other:?}"),
        }
    }
    assert_eq!(
        store.get_approval(&approval.id).await?,
        Some(approved),
        "losing resolutions change nothing"
    );

    let rejected = pending(store).await?;
    store
        .resolve_approval(
            &rejected.id,
            ApprovalStatus::Rejected,
            Some("carol"),
            Some("no"),
        )
        .await?;
    match store
        .resolve_approval(&rejected.id, ApprovalStatus::Approved, None, None)
        .await
    {
        Err(StoreError::Conflict(msg)) => assert!(msg.ends_with("is already rejected"), "{msg}"),
        other => panic!("approving a rejected approval must conflict, got {other:?}"),
    }

    assert!(matches!(
        store
            .resolve_approval(&unique(), ApprovalStatus::Approved, None, None)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let still_pending = pending(store).await?;
    assert!(matches!(
        store
            .resolve_approval(&still_pending.id, ApprovalStatus::Pending, None, None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    Ok(())
}

pub async fn approvals_concurrent_resolution_has_one_winner(
    store: &Store,
) -> Result<(), StoreError> {
    for round in 0..20 {
        let approval = pending(store).await?;
        let contenders = [
            ApprovalStatus::Approved,
            ApprovalStatus::Rejected,
            ApprovalStatus::Approved,
        ];
        let tasks: Vec<_> = contenders
            .into_iter()
            .enumerate()
            .map(|(i, status)| {
                let store = store.clone();
                let id = approval.id.clone();
                tokio::spawn(async move {
                    let operator = format!("operator-{i}");
                    (
                        status,
                        store
                            .resolve_approval(&id, status, Some(&operator), None)
                            .await,
                    )
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            let (status, result) = task
                .await
                .unwrap_or_else(|e| panic!("resolver task failed: {e}"));
            match result {
                Ok(record) => winners.push((status, record)),
                Err(StoreError::Conflict(_)) => {}
                Err(other) => return Err(other),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one resolution must win"
        );
        let (status, record) = &winners[0];
        assert_eq!(record.status, *status);
        assert_eq!(
            store.get_approval(&approval.id).await?.as_ref(),
            Some(record)
        );
    }
    Ok(())
}

pub async fn approvals_expiry(store: &Store) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc();
    let due = store
        .create_approval(new_approval(
            now - Duration::minutes(10),
            Duration::minutes(5),
        ))
        .await?;
    let due_exactly = store
        .create_approval(new_approval(
            now - Duration::minutes(1),
            Duration::minutes(1),
        ))
        .await?;
    let live = store
        .create_approval(new_approval(now, Duration::hours(1)))
        .await?;
    let decided = store
        .create_approval(new_approval(
            now - Duration::minutes(10),
            Duration::minutes(5),
        ))
        .await?;
    store
        .resolve_approval(&decided.id, ApprovalStatus::Rejected, None, None)
        .await?;

    // Approving past the deadline fails closed even before the sweep runs.
    match store
        .resolve_approval(&due.id, ApprovalStatus::Approved, Some("late"), None)
        .await
    {
        Err(StoreError::Conflict(msg)) => {
            assert_eq!(msg, format!("approval {} has expired", due.id))
        }
        other => panic!("approving after expiry must conflict, got {other:?}"),
    }

    let expired = store.expire_due_approvals(now).await?;
    let ours: Vec<&ApprovalRecord> = expired
        .iter()
        .filter(|a| [&due.id, &due_exactly.id, &live.id, &decided.id].contains(&&a.id))
        .collect();
    assert_eq!(
        ours.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        vec![due.id.as_str(), due_exactly.id.as_str()]
    );
    for record in &ours {
        assert_eq!(record.status, ApprovalStatus::Expired);
        assert_eq!(record.decided_at, Some(now));
        assert_eq!(record.decided_by, None);
        assert_eq!(
            store.get_approval(&record.id).await?.as_ref(),
            Some(*record)
        );
    }
    assert_eq!(
        store.get_approval(&live.id).await?.map(|a| a.status),
        Some(ApprovalStatus::Pending)
    );
    assert_eq!(
        store.get_approval(&decided.id).await?.map(|a| a.status),
        Some(ApprovalStatus::Rejected)
    );

    let again = store.expire_due_approvals(now).await?;
    assert!(
        again
            .iter()
            .all(|a| a.id != due.id && a.id != due_exactly.id),
        "expiry happens once"
    );
    assert!(matches!(
        store
            .resolve_approval(&due.id, ApprovalStatus::Rejected, None, None)
            .await,
        Err(StoreError::Conflict(_))
    ));

    let invalid = new_approval(now, Duration::ZERO);
    assert!(matches!(
        store.create_approval(invalid).await,
        Err(StoreError::Invalid(_))
    ));
    Ok(())
}

pub async fn approvals_list_order_and_limit(store: &Store) -> Result<(), StoreError> {
    // Far-future creation times make these the newest approvals in the store.
    let base = OffsetDateTime::now_utc() + Duration::days(365 * 50);
    let mut created = Vec::new();
    for i in 0..3 {
        created.push(
            store
                .create_approval(new_approval(
                    base + Duration::microseconds(i),
                    Duration::hours(1),
                ))
                .await?,
        );
    }
    let newest_two = store
        .list_approvals(Some(ApprovalStatus::Pending), 2)
        .await?;
    assert_eq!(newest_two, vec![created[2].clone(), created[1].clone()]);
    let any_status = store.list_approvals(None, 3).await?;
    assert_eq!(
        any_status,
        vec![created[2].clone(), created[1].clone(), created[0].clone()]
    );
    assert!(store.list_approvals(None, 0).await?.is_empty());
    for approval in &created {
        store
            .resolve_approval(
                &approval.id,
                ApprovalStatus::Rejected,
                None,
                Some("cleanup"),
            )
            .await?;
    }
    Ok(())
}
