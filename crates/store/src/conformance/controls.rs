//! Conformance checks for N-of-M votes, call-bound lookup and collection,
//! escalation flags, scoped grants and kill switches.

use super::approvals::new_approval;
use crate::{ApprovalStatus, NewGrant, NewKill, NewVote, Store, StoreError};
use behavry_core::{AgentId, KillScope};
use time::{Duration, OffsetDateTime};

fn vote(operator: &str, approve: bool) -> NewVote {
    NewVote {
        operator: operator.to_string(),
        approve,
        reason: Some(format!("{operator} says {approve}")),
        edited_arguments: None,
    }
}

pub async fn approvals_n_of_m_votes(store: &Store) -> Result<(), StoreError> {
    let mut new = new_approval(OffsetDateTime::now_utc(), Duration::hours(1));
    new.rule.required_approvals = 2;
    let a = store.create_approval(new).await?;
    let after_one = store.vote_approval(&a.id, vote("alice", true)).await?;
    assert_eq!(after_one.status, ApprovalStatus::Pending);
    assert_eq!(after_one.approvals(), 1);
    assert!(
        matches!(
            store.vote_approval(&a.id, vote("alice", true)).await,
            Err(StoreError::Conflict(_))
        ),
        "the same operator cannot vote twice"
    );
    let edited = NewVote {
        edited_arguments: Some(serde_json::json!({"table": "tmp"})),
        ..vote("carol", true)
    };
    assert!(
        matches!(
            store.vote_approval(&a.id, edited).await,
            Err(StoreError::Invalid(_))
        ),
        "edit-and-approve needs a single-approval rule"
    );
    let approved = store.vote_approval(&a.id, vote("bob", true)).await?;
    assert_eq!(approved.status, ApprovalStatus::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("bob"));
    assert_eq!(approved.votes.len(), 2);
    assert!(matches!(
        store.vote_approval(&a.id, vote("carol", true)).await,
        Err(StoreError::Conflict(_))
    ));

    // One deny rejects at once, whatever the count.
    let mut new = new_approval(OffsetDateTime::now_utc(), Duration::hours(1));
    new.rule.required_approvals = 3;
    let b = store.create_approval(new).await?;
    store.vote_approval(&b.id, vote("alice", true)).await?;
    let rejected = store.vote_approval(&b.id, vote("bob", false)).await?;
    assert_eq!(rejected.status, ApprovalStatus::Rejected);
    assert_eq!(rejected.decision_reason.as_deref(), Some("bob says false"));

    // Edit-and-approve on a single-approval rule keeps the edited arguments.
    let c = store
        .create_approval(new_approval(OffsetDateTime::now_utc(), Duration::hours(1)))
        .await?;
    let edited = NewVote {
        edited_arguments: Some(serde_json::json!({"table": "tmp"})),
        ..vote("alice", true)
    };
    let approved = store.vote_approval(&c.id, edited).await?;
    assert_eq!(approved.status, ApprovalStatus::Approved);
    assert_eq!(
        approved.edited_arguments,
        Some(serde_json::json!({"table": "tmp"}))
    );

    // Voting on an expired request conflicts.
    let past = OffsetDateTime::now_utc() - Duration::hours(2);
    let d = store
        .create_approval(new_approval(past, Duration::hours(1)))
        .await?;
    assert!(matches!(
        store.vote_approval(&d.id, vote("alice", true)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.vote_approval("no-such-id", vote("alice", true)).await,
        Err(StoreError::NotFound(_))
    ));
    Ok(())
}

pub async fn approvals_concurrent_votes_count_once_each(store: &Store) -> Result<(), StoreError> {
    let mut new = new_approval(OffsetDateTime::now_utc(), Duration::hours(1));
    new.rule.required_approvals = 5;
    let a = store.create_approval(new).await?;
    let mut tasks = Vec::new();
    for i in 0..5 {
        let store = store.clone();
        let id = a.id.clone();
        tasks.push(tokio::spawn(async move {
            store
                .vote_approval(&id, vote(&format!("op{i}"), true))
                .await
        }));
    }
    for t in tasks {
        t.await
            .map_err(|e| StoreError::Unavailable(e.to_string()))??;
    }
    let done = store
        .get_approval(&a.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(a.id.clone()))?;
    assert_eq!(done.status, ApprovalStatus::Approved);
    assert_eq!(
        done.approvals(),
        5,
        "every concurrent vote is counted exactly once"
    );
    Ok(())
}

pub async fn approvals_found_by_call_and_collected_once(store: &Store) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc();
    let new = new_approval(now, Duration::hours(1));
    let (agent, hash) = (new.agent_id.clone(), new.call_hash.clone());
    let a = store.create_approval(new).await?;
    let since = now - Duration::minutes(1);
    let found = store
        .find_open_approval_for_call(&agent, &hash, since)
        .await?;
    assert_eq!(found.map(|f| f.id), Some(a.id.clone()));
    assert!(store
        .find_open_approval_for_call(&AgentId("other".into()), &hash, since)
        .await?
        .is_none());
    assert!(
        store
            .find_open_approval_for_call(&agent, &hash, now + Duration::minutes(1))
            .await?
            .is_none(),
        "older than the retry window"
    );
    assert_eq!(store.count_pending_approvals(&agent).await?, 1);
    assert!(
        matches!(
            store.collect_approval(&a.id).await,
            Err(StoreError::Conflict(_))
        ),
        "a pending approval cannot be collected"
    );
    store.vote_approval(&a.id, vote("alice", true)).await?;
    assert_eq!(store.count_pending_approvals(&agent).await?, 0);
    let collected = store.collect_approval(&a.id).await?;
    assert!(collected.collected_at.is_some());
    assert!(
        matches!(
            store.collect_approval(&a.id).await,
            Err(StoreError::Conflict(_))
        ),
        "collected at most once"
    );
    assert!(store
        .find_open_approval_for_call(&agent, &hash, since)
        .await?
        .is_none());

    assert!(
        store.mark_approval_escalated(&a.id).await.map(|b| !b)?,
        "decided approvals do not escalate"
    );
    let b = store
        .create_approval(new_approval(now, Duration::hours(1)))
        .await?;
    assert!(store.mark_approval_escalated(&b.id).await?);
    assert!(
        !store.mark_approval_escalated(&b.id).await?,
        "escalated once"
    );
    assert!(store
        .get_approval(&b.id)
        .await?
        .is_some_and(|r| r.escalated));
    Ok(())
}

pub async fn grants_lifecycle(store: &Store) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc();
    let grant = |expires_at| NewGrant {
        agent_id: AgentId("a1".into()),
        agent_name: "analyst".into(),
        upstream: "db".into(),
        tool: "query".into(),
        argument_pattern: Some("select".into()),
        approval_id: None,
        created_by: "alice".into(),
        created_at: now,
        expires_at,
    };
    let live = store.create_grant(grant(now + Duration::hours(1))).await?;
    let stale = store
        .create_grant(grant(now + Duration::milliseconds(1)))
        .await?;
    assert!(matches!(
        store.create_grant(grant(now)).await,
        Err(StoreError::Invalid(_))
    ));
    let active = store.active_grants(now + Duration::seconds(1)).await?;
    assert!(active.iter().any(|g| g.id == live.id));
    assert!(
        !active.iter().any(|g| g.id == stale.id),
        "expired grants are not active"
    );
    let revoked = store.revoke_grant(&live.id).await?;
    assert!(revoked.revoked_at.is_some());
    assert!(matches!(
        store.revoke_grant(&live.id).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.revoke_grant("nope").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(!store
        .active_grants(now)
        .await?
        .iter()
        .any(|g| g.id == live.id));
    Ok(())
}

pub async fn kill_switches_lifecycle(store: &Store) -> Result<(), StoreError> {
    let kill = |scope, target: Option<&str>, reason: &str| NewKill {
        scope,
        target: target.map(str::to_string),
        reason: reason.to_string(),
        engaged_by: "alice".to_string(),
    };
    for bad in [
        kill(KillScope::Global, Some("x"), "r"),
        kill(KillScope::Agent, None, "r"),
        kill(KillScope::Agent, Some("a"), "  "),
    ] {
        assert!(matches!(
            store.engage_kill(bad).await,
            Err(StoreError::Invalid(_))
        ));
    }
    let agent = store
        .engage_kill(kill(KillScope::Agent, Some("analyst"), "exfil"))
        .await?;
    let global = store
        .engage_kill(kill(KillScope::Global, None, "incident"))
        .await?;
    let engaged = store.engaged_kills().await?;
    assert!(engaged.iter().any(|k| k.id == agent.id) && engaged.iter().any(|k| k.id == global.id));
    let released = store.release_kill(&global.id, "bob").await?;
    assert_eq!(released.released_by.as_deref(), Some("bob"));
    assert!(matches!(
        store.release_kill(&global.id, "bob").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.release_kill("nope", "bob").await,
        Err(StoreError::NotFound(_))
    ));
    let engaged = store.engaged_kills().await?;
    assert!(!engaged.iter().any(|k| k.id == global.id));
    assert!(engaged
        .iter()
        .any(|k| k.id == agent.id && k.scope == KillScope::Agent));
    store.release_kill(&agent.id, "bob").await?;
    Ok(())
}
