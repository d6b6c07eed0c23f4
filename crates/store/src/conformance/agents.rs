//! Conformance checks for the agent registry.

use super::{fresh_credential_hash, unique};
use crate::{NewAgent, Store, StoreError};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

fn new_agent(name: &str) -> NewAgent {
    NewAgent {
        name: name.to_string(),
        role: "analyst".to_string(),
        labels: BTreeMap::from([("team".to_string(), "data".to_string())]),
        owner: Some("ops@example.com".to_string()),
        credential_hash: fresh_credential_hash(),
    }
}

pub async fn agents_create_list_and_lookup(store: &Store) -> Result<(), StoreError> {
    let suffix = unique();
    let before = OffsetDateTime::now_utc() - Duration::seconds(1);
    let b = store
        .create_agent(new_agent(&format!("b-{suffix}")))
        .await?;
    let mut a_new = new_agent(&format!("a-{suffix}"));
    a_new.owner = None;
    a_new.labels.clear();
    let a = store.create_agent(a_new.clone()).await?;

    assert_eq!(a.name, a_new.name);
    assert_eq!(a.role, "analyst");
    assert!(a.labels.is_empty());
    assert_eq!(a.owner, None);
    assert_eq!(a.credential_hash, a_new.credential_hash);
    assert!(a.revoked_at.is_none());
    assert!(a.created_at >= before && a.created_at <= OffsetDateTime::now_utc());
    assert!(
        uuid::Uuid::parse_str(&a.id.0).is_ok(),
        "agent id must be a uuid"
    );
    assert_ne!(a.id, b.id);

    let identity = b.identity();
    assert_eq!(
        (identity.id.clone(), identity.name.as_str()),
        (b.id.clone(), b.name.as_str())
    );
    assert_eq!(
        identity.labels.get("team").map(String::as_str),
        Some("data")
    );
    assert_eq!(identity.owner.as_deref(), Some("ops@example.com"));

    let listed: Vec<_> = store
        .list_agents()
        .await?
        .into_iter()
        .filter(|r| r.name.ends_with(&suffix))
        .collect();
    assert_eq!(
        listed,
        vec![a.clone(), b.clone()],
        "agents are listed by name"
    );

    assert_eq!(store.get_agent_by_name(&b.name).await?, Some(b.clone()));
    assert_eq!(store.get_agent_by_id(&b.id.0).await?, Some(b.clone()));
    assert_eq!(
        store
            .get_agent_by_credential_hash(&b.credential_hash)
            .await?,
        Some(b.clone())
    );
    assert_eq!(
        store
            .get_agent_by_name(&format!("missing-{suffix}"))
            .await?,
        None
    );
    assert_eq!(
        store
            .get_agent_by_credential_hash(&fresh_credential_hash())
            .await?,
        None
    );
    Ok(())
}

pub async fn agents_reject_duplicates_and_bad_hashes(store: &Store) -> Result<(), StoreError> {
    let name = format!("dup-{}", unique());
    let first = store.create_agent(new_agent(&name)).await?;

    let mut same_name = new_agent(&name);
    same_name.role = "other".to_string();
    let hash = same_name.credential_hash.clone();
    match store.create_agent(same_name).await {
        Err(StoreError::Conflict(msg)) => {
            assert!(
                msg.contains(&name) && msg.contains("already exists"),
                "unclear message: {msg}"
            );
            assert!(!msg.contains(&hash), "message must not contain the hash");
        }
        other => panic!("duplicate name must conflict, got {other:?}"),
    }

    let mut same_hash = new_agent(&format!("dup-hash-{}", unique()));
    same_hash.credential_hash = first.credential_hash.clone();
    match store.create_agent(same_hash).await {
        Err(StoreError::Conflict(msg)) => assert!(!msg.contains(&first.credential_hash)),
        other => panic!("duplicate credential hash must conflict, got {other:?}"),
    }

    for bad in ["", "abc", &"G".repeat(64), &"AB".repeat(32)] {
        let mut agent = new_agent(&format!("bad-hash-{}", unique()));
        agent.credential_hash = bad.to_string();
        assert!(
            matches!(store.create_agent(agent).await, Err(StoreError::Invalid(_))),
            "hash {bad:?} must be refused"
        );
    }
    assert_eq!(store.get_agent_by_name(&name).await?, Some(first));
    Ok(())
}

pub async fn agents_revoke_is_idempotent(store: &Store) -> Result<(), StoreError> {
    let name = format!("revoke-{}", unique());
    let created = store.create_agent(new_agent(&name)).await?;
    let revoked = store.revoke_agent(&name).await?;
    let revoked_at = revoked
        .revoked_at
        .unwrap_or_else(|| panic!("revoked_at must be set"));
    assert!(revoked_at >= created.created_at);
    assert_eq!(revoked.credential_hash, created.credential_hash);

    let again = store.revoke_agent(&name).await?;
    assert_eq!(
        again.revoked_at,
        Some(revoked_at),
        "revoking twice keeps the first time"
    );
    assert_eq!(store.get_agent_by_name(&name).await?, Some(again));

    assert!(matches!(
        store.revoke_agent(&format!("missing-{}", unique())).await,
        Err(StoreError::NotFound(_))
    ));
    match store
        .rotate_credential(&name, &fresh_credential_hash())
        .await
    {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("revoked"), "{msg}"),
        other => panic!("rotating a revoked agent must conflict, got {other:?}"),
    }
    let after = store.get_agent_by_name(&name).await?;
    assert_eq!(
        after.map(|a| a.credential_hash),
        Some(created.credential_hash)
    );
    Ok(())
}

pub async fn agents_rotate_credential(store: &Store) -> Result<(), StoreError> {
    let name = format!("rotate-{}", unique());
    let created = store.create_agent(new_agent(&name)).await?;
    let new_hash = fresh_credential_hash();
    let rotated = store.rotate_credential(&name, &new_hash).await?;
    assert_eq!(rotated.credential_hash, new_hash);
    assert_eq!(
        (rotated.id.clone(), rotated.created_at),
        (created.id.clone(), created.created_at)
    );
    assert_eq!(
        store
            .get_agent_by_credential_hash(&created.credential_hash)
            .await?,
        None
    );
    assert_eq!(
        store.get_agent_by_credential_hash(&new_hash).await?,
        Some(rotated)
    );

    let other = store
        .create_agent(new_agent(&format!("rotate-other-{}", unique())))
        .await?;
    assert!(matches!(
        store.rotate_credential(&name, &other.credential_hash).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.rotate_credential(&name, "not-a-hash").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .rotate_credential(&format!("missing-{}", unique()), &fresh_credential_hash())
            .await,
        Err(StoreError::NotFound(_))
    ));
    Ok(())
}
