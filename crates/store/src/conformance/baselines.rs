//! Conformance checks for persisted behavioural baselines.

use crate::{BaselineKind, BaselineRecord, Store, StoreError};
use time::OffsetDateTime;

/// Profiles are upserted per (kind, key), listed in order, and deleted;
/// an agent and a role may share a name; an empty key is refused.
pub async fn baselines_upsert_list_delete(store: &Store) -> Result<(), StoreError> {
    let name = format!("baseline-{}", uuid::Uuid::new_v4());
    let t0 = OffsetDateTime::from_unix_timestamp(1_772_000_000)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let rec = |kind, json: &str, t| BaselineRecord {
        kind,
        key: name.clone(),
        json: json.to_string(),
        updated_at: t,
    };
    store
        .put_baselines(&[
            rec(BaselineKind::Agent, r#"{"v":1}"#, t0),
            rec(BaselineKind::Role, r#"{"r":1}"#, t0),
        ])
        .await?;
    let later = t0 + time::Duration::seconds(5);
    store
        .put_baselines(&[rec(BaselineKind::Agent, r#"{"v":2}"#, later)])
        .await?;
    let mine: Vec<BaselineRecord> = store
        .list_baselines()
        .await?
        .into_iter()
        .filter(|r| r.key == name)
        .collect();
    if mine
        != vec![
            rec(BaselineKind::Agent, r#"{"v":2}"#, later),
            rec(BaselineKind::Role, r#"{"r":1}"#, t0),
        ]
    {
        panic!("baselines after upsert: {mine:?}");
    }
    let empty = BaselineRecord {
        key: String::new(),
        ..rec(BaselineKind::Agent, "{}", t0)
    };
    if !matches!(
        store.put_baselines(&[empty]).await,
        Err(StoreError::Invalid(_))
    ) {
        panic!("an empty baseline key must be refused");
    }
    if !store.delete_baseline(BaselineKind::Agent, &name).await? {
        panic!("deleting a stored baseline must report it existed");
    }
    if store.delete_baseline(BaselineKind::Agent, &name).await? {
        panic!("deleting an absent baseline must report it did not exist");
    }
    let left = store
        .list_baselines()
        .await?
        .into_iter()
        .filter(|r| r.key == name)
        .count();
    if left != 1 {
        panic!("the role profile must remain after deleting the agent's: {left}");
    }
    Ok(())
}
