//! Pinned tool definitions: first sight pins or holds, a change is held
//! with the approved definition kept, approval applies only to the pending
//! definition, and a second pin of the same tool conflicts.

use super::unique;
use crate::{NewToolPin, PinStatus, Store, StoreError};
use serde_json::json;
use time::OffsetDateTime;

fn new_pin(upstream: &str, tool: &str, hash: &str, held: Option<&str>) -> NewToolPin {
    NewToolPin {
        upstream: upstream.to_string(),
        tool: tool.to_string(),
        hash: hash.to_string(),
        definition: json!({"name": tool, "description": hash}),
        held: held.map(str::to_string),
        seen_at: OffsetDateTime::now_utc(),
    }
}

pub async fn tool_pins_lifecycle(store: &Store) -> Result<(), StoreError> {
    let upstream = format!("up{}", &unique()[..8]);
    let pin = store
        .create_tool_pin(new_pin(&upstream, "get", "sha256:a", None))
        .await?;
    assert_eq!(
        (pin.status, pin.hash.as_str()),
        (PinStatus::Pinned, "sha256:a")
    );
    assert_eq!(pin.pending_hash, None);
    match store
        .create_tool_pin(new_pin(&upstream, "get", "sha256:b", None))
        .await
    {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a second pin of the same tool must conflict, got {other:?}"),
    }
    match store
        .approve_tool_pin(&upstream, "get", "alice", None)
        .await
    {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("approving a pinned tool must conflict, got {other:?}"),
    }

    let changed = store
        .mark_tool_pin_changed(
            &upstream,
            "get",
            "sha256:b",
            &json!({"name": "get", "v": 2}),
            "definition changed",
        )
        .await?;
    assert_eq!(changed.status, PinStatus::Changed);
    assert_eq!(changed.hash, "sha256:a", "the approved definition is kept");
    assert_eq!(changed.pending_hash.as_deref(), Some("sha256:b"));
    assert!(changed.changed_at.is_some());
    let pending = store.list_tool_pins(Some(PinStatus::Changed)).await?;
    assert!(pending
        .iter()
        .any(|p| p.upstream == upstream && p.tool == "get"));

    match store
        .approve_tool_pin(&upstream, "get", "alice", Some("sha256:other"))
        .await
    {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("approving a different pending hash must conflict, got {other:?}"),
    }
    let approved = store
        .approve_tool_pin(&upstream, "get", "alice", Some("sha256:b"))
        .await?;
    assert_eq!(approved.status, PinStatus::Pinned);
    assert_eq!(approved.hash, "sha256:b");
    assert_eq!(approved.definition, json!({"name": "get", "v": 2}));
    assert_eq!(approved.approved_by.as_deref(), Some("alice"));
    assert_eq!(approved.pending_hash, None);
    assert_eq!(
        store.get_tool_pin(&upstream, "get").await?,
        Some(approved.clone())
    );

    let held = store
        .create_tool_pin(new_pin(
            &upstream,
            "bad",
            "sha256:p",
            Some("tool_poisoning"),
        ))
        .await?;
    assert_eq!(held.status, PinStatus::Changed);
    assert_eq!(held.hash, "", "nothing approved yet");
    assert_eq!(held.pending_hash.as_deref(), Some("sha256:p"));
    assert_eq!(held.reason.as_deref(), Some("tool_poisoning"));

    match store
        .approve_tool_pin(&upstream, "missing", "alice", None)
        .await
    {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("approving an unknown tool must be NotFound, got {other:?}"),
    }
    assert_eq!(store.get_tool_pin(&upstream, "missing").await?, None);
    let all: Vec<_> = store
        .list_tool_pins(None)
        .await?
        .into_iter()
        .filter(|p| p.upstream == upstream)
        .map(|p| p.tool)
        .collect();
    assert_eq!(all, vec!["bad".to_string(), "get".to_string()]);
    Ok(())
}
