//! Conformance checks for operators, console sessions and agent activity.

use super::{fresh_credential_hash, sample_decision_event, unique};
use crate::{NewAgent, NewConsoleSession, NewOperator, OperatorUpdate, Store, StoreError};
use behavry_core::{DecisionId, TraceEventKind};
use time::{Duration, OffsetDateTime};

const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
const PHC2: &str = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$b3RoZXJoYXNo";

fn new_operator(name: &str, role: &str) -> NewOperator {
    NewOperator {
        name: name.to_string(),
        role: role.to_string(),
        groups: vec!["finance".to_string()],
        password_hash: Some(PHC.to_string()),
    }
}

fn new_session(operator_id: Option<&str>, ttl: Duration) -> NewConsoleSession {
    let now = OffsetDateTime::now_utc();
    NewConsoleSession {
        id_hash: fresh_credential_hash(),
        operator_id: operator_id.map(str::to_string),
        created_at: now,
        expires_at: now + ttl,
    }
}

pub async fn operators_create_list_update_disable(store: &Store) -> Result<(), StoreError> {
    let suffix = unique();
    let name = format!("op-{suffix}");
    let created = store
        .create_operator(new_operator(&name, "approver"))
        .await?;
    assert_eq!(
        (created.role.as_str(), created.groups.as_slice()),
        ("approver", ["finance".to_string()].as_slice())
    );
    assert!(uuid::Uuid::parse_str(&created.id).is_ok());
    assert!(!created.is_disabled());
    let fetched = store.get_operator_by_name(&name).await?;
    assert_eq!(fetched.as_ref(), Some(&created));
    assert_eq!(
        store.get_operator_by_id(&created.id).await?.as_ref(),
        Some(&created)
    );
    assert!(store.list_operators().await?.iter().any(|o| o.name == name));

    match store.create_operator(new_operator(&name, "viewer")).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a duplicate operator name must conflict, got {other:?}"),
    }
    for bad in [
        new_operator(&format!("r-{suffix}"), "root"),
        NewOperator {
            password_hash: Some("plain-password".into()),
            ..new_operator(&format!("h-{suffix}"), "viewer")
        },
    ] {
        match store.create_operator(bad.clone()).await {
            Err(StoreError::Invalid(_)) => {}
            other => panic!("{bad:?} must be invalid, got {other:?}"),
        }
    }

    let updated = store
        .update_operator(
            &name,
            OperatorUpdate {
                role: Some("admin".into()),
                groups: Some(vec![]),
                password_hash: None,
            },
        )
        .await?;
    assert_eq!(updated.role, "admin");
    assert!(updated.groups.is_empty());
    assert_eq!(updated.password_hash.as_deref(), Some(PHC), "kept");

    let disabled = store.disable_operator(&name).await?;
    let first = disabled.disabled_at;
    assert!(first.is_some());
    let again = store.disable_operator(&name).await?;
    assert_eq!(again.disabled_at, first, "disabling is idempotent");
    match store.disable_operator(&format!("nobody-{suffix}")).await {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("disabling an unknown operator must be NotFound, got {other:?}"),
    }
    match store
        .update_operator(&format!("nobody-{suffix}"), OperatorUpdate::default())
        .await
    {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("updating an unknown operator must be NotFound, got {other:?}"),
    }
    Ok(())
}

pub async fn console_sessions_lifecycle(store: &Store) -> Result<(), StoreError> {
    let op = store
        .create_operator(new_operator(&format!("s-{}", unique()), "viewer"))
        .await?;
    let session = new_session(Some(&op.id), Duration::hours(1));
    let stored = store.create_console_session(session.clone()).await?;
    assert_eq!(stored.last_seen_at, session.created_at);
    let got = store
        .get_console_session(&session.id_hash)
        .await?
        .unwrap_or_else(|| panic!("session not found"));
    assert_eq!(got.operator_id.as_deref(), Some(op.id.as_str()));
    assert_eq!(got.expires_at, session.expires_at);

    match store.create_console_session(session.clone()).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a reused session id must conflict, got {other:?}"),
    }
    match store
        .create_console_session(new_session(Some("no-such-operator"), Duration::hours(1)))
        .await
    {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("a session of an unknown operator must be NotFound, got {other:?}"),
    }
    let mut bad = new_session(None, Duration::hours(1));
    bad.id_hash = "not-a-hash".into();
    assert!(matches!(
        store.create_console_session(bad).await,
        Err(StoreError::Invalid(_))
    ));

    let later = session.created_at + Duration::minutes(5);
    store.touch_console_session(&session.id_hash, later).await?;
    store
        .touch_console_session(&session.id_hash, session.created_at)
        .await?;
    let touched = store.get_console_session(&session.id_hash).await?;
    assert_eq!(
        touched.map(|s| s.last_seen_at),
        Some(later),
        "last_seen_at only moves forward"
    );

    assert!(store.delete_console_session(&session.id_hash).await?);
    assert!(!store.delete_console_session(&session.id_hash).await?);
    assert!(store.get_console_session(&session.id_hash).await?.is_none());

    let admin_session = new_session(None, Duration::hours(1));
    store.create_console_session(admin_session.clone()).await?;
    assert!(store
        .get_console_session(&admin_session.id_hash)
        .await?
        .is_some_and(|s| s.operator_id.is_none()));
    Ok(())
}

pub async fn console_sessions_end_with_password_change_and_disable(
    store: &Store,
) -> Result<(), StoreError> {
    let op = store
        .create_operator(new_operator(&format!("e-{}", unique()), "approver"))
        .await?;
    let first = new_session(Some(&op.id), Duration::hours(1));
    store.create_console_session(first.clone()).await?;
    store
        .update_operator(
            &op.name,
            OperatorUpdate {
                role: Some("viewer".into()),
                ..OperatorUpdate::default()
            },
        )
        .await?;
    assert!(
        store.get_console_session(&first.id_hash).await?.is_some(),
        "a role change keeps sessions (they re-read the operator)"
    );
    store
        .update_operator(
            &op.name,
            OperatorUpdate {
                password_hash: Some(PHC2.into()),
                ..OperatorUpdate::default()
            },
        )
        .await?;
    assert!(
        store.get_console_session(&first.id_hash).await?.is_none(),
        "a password change ends sessions"
    );
    let second = new_session(Some(&op.id), Duration::hours(1));
    store.create_console_session(second.clone()).await?;
    store.disable_operator(&op.name).await?;
    assert!(
        store.get_console_session(&second.id_hash).await?.is_none(),
        "disabling ends sessions"
    );
    Ok(())
}

pub async fn console_sessions_stale_are_removed(store: &Store) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc();
    let fresh = new_session(None, Duration::hours(1));
    let short = new_session(None, Duration::seconds(1));
    let idle = new_session(None, Duration::hours(1));
    for s in [&fresh, &short, &idle] {
        store.create_console_session(s.clone()).await?;
    }
    store
        .touch_console_session(&fresh.id_hash, now + Duration::minutes(10))
        .await?;
    store
        .touch_console_session(&short.id_hash, now + Duration::minutes(10))
        .await?;
    // At now + 20 min with a 15 minute idle window: `short` is past its
    // absolute expiry, `idle` was last seen 20 minutes ago.
    let removed = store
        .delete_stale_console_sessions(now + Duration::minutes(20), now + Duration::minutes(5))
        .await?;
    assert!(removed >= 2, "removed {removed}");
    assert!(store.get_console_session(&fresh.id_hash).await?.is_some());
    assert!(store.get_console_session(&short.id_hash).await?.is_none());
    assert!(store.get_console_session(&idle.id_hash).await?.is_none());
    Ok(())
}

pub async fn agent_last_activity_follows_decisions(store: &Store) -> Result<(), StoreError> {
    let suffix = unique();
    let active = store
        .create_agent(NewAgent {
            name: format!("active-{suffix}"),
            role: "analyst".into(),
            labels: Default::default(),
            owner: None,
            credential_hash: fresh_credential_hash(),
        })
        .await?;
    let quiet = store
        .create_agent(NewAgent {
            name: format!("quiet-{suffix}"),
            role: "analyst".into(),
            labels: Default::default(),
            owner: None,
            credential_hash: fresh_credential_hash(),
        })
        .await?;
    let base = OffsetDateTime::from_unix_timestamp(1_800_000_000)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    for minutes in [1, 3, 2] {
        let mut event =
            sample_decision_event(&DecisionId(format!("d-{suffix}-{minutes}")), "query");
        event.time = base + Duration::minutes(minutes);
        if let TraceEventKind::Decision { agent, .. } = &mut event.event {
            agent.id = active.id.clone();
            agent.name = active.name.clone();
        }
        store.append_trace(&event).await?;
    }
    let activity = store.agent_last_activity().await?;
    assert_eq!(
        activity.get(&active.id.0),
        Some(&(base + Duration::minutes(2))),
        "the latest decision by sequence, not by clock"
    );
    assert!(!activity.contains_key(&quiet.id.0));
    Ok(())
}
