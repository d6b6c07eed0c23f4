//! Workflows over HTTP (operators):
//!
//! - `GET /v1/workflows`: the newest workflows (`?limit=`, default 50);
//! - `GET /v1/workflows/{id}`: one workflow: its record, its shared
//!   ledger (budgets used, delegation edges, sensitive reads) and its
//!   decisions as a tree read back from the trace;
//! - `POST /v1/workflows/{id}/revoke`: revoke the root (stops everything);
//! - `POST /v1/workflows/revocations`: revoke one delegation block by its
//!   revocation id (it and everything delegated from it);
//! - `GET /v1/workflows/public-key`.
//!
//! A revocation is stored, applied to this gateway at once (and to other
//! replicas on their next refresh) and recorded in the trace as an
//! operator action. Stopping a workflow without revoking it is the kill
//! switch with scope `workflow`.

use crate::error::ApiError;
use crate::operator::{Operator, Role};
use crate::workflow_tree::workflow_tree;
use crate::ControlState;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use behavry_core::TraceEvent;
use behavry_store::{NewRevocation, Store, StoreError, WorkflowRecord};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use time::OffsetDateTime;

/// Trace events read for one workflow's tree at most.
const MAX_EVENTS: usize = 200_000;
const PAGE: u32 = 1_000;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub limit: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBlock {
    pub revocation_id: String,
    #[serde(default)]
    pub workflow_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

fn stage(state: &ControlState) -> Result<&behavry_gateway::workflows::WorkflowStage, ApiError> {
    state
        .gateway
        .settings
        .workflows
        .as_deref()
        .ok_or_else(|| ApiError::NotFound("workflows are disabled on this gateway".into()))
}

pub async fn list(
    State(state): State<Arc<ControlState>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let workflows = state.gateway.store.list_workflows(limit).await?;
    Ok(Json(json!({"workflows": workflows})))
}

pub async fn show(
    State(state): State<Arc<ControlState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.gateway.store;
    let record = store
        .get_workflow(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no workflow `{id}`")))?;
    let ledger = match behavry_workflow::WorkflowId::parse(&id) {
        Ok(wid) => behavry_gateway::workflows::snapshot(store, &wid)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?,
        Err(_) => None,
    };
    let (events, truncated) = workflow_events(store, &record).await?;
    let decisions = workflow_tree(&events, &id);
    let revoked = store
        .list_revocations()
        .await?
        .into_iter()
        .filter(|r| r.workflow_id.as_deref() == Some(id.as_str()))
        .collect::<Vec<_>>();
    Ok(Json(json!({
        "workflow": record,
        "ledger": ledger.map(|l| json!({
            "budgets": l.ledger.budgets.state().to_policy_value(),
            "fanout": l.ledger.fanout,
            "sensitive_reads": l.reads,
        })),
        "revocations": revoked,
        "decisions": decisions,
        "truncated": truncated,
    })))
}

/// The trace events from the workflow's start on (found by a binary
/// search on time), at most [`MAX_EVENTS`].
async fn workflow_events(
    store: &Store,
    record: &WorkflowRecord,
) -> Result<(Vec<(u64, TraceEvent)>, bool), StoreError> {
    let Some(last) = store.latest_trace_seq().await? else {
        return Ok((Vec::new(), false));
    };
    let start = record.created_at - time::Duration::seconds(5);
    // The smallest seq whose event is at or after `start` (times are
    // appended in order up to clock skew; the margin covers it).
    let (mut lo, mut hi) = (0u64, last);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let time = event_time(store, mid).await?;
        if time.is_some_and(|t| t < start) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut after = lo.saturating_sub(1);
    let mut events = Vec::new();
    loop {
        let page = store.tail_trace(Some(after), PAGE).await?;
        let Some((seq, _)) = page.last() else {
            return Ok((events, false));
        };
        after = *seq;
        events.extend(page);
        if events.len() >= MAX_EVENTS {
            return Ok((events, true));
        }
    }
}

/// The time of the event right after `seq` (`None` past the end).
async fn event_time(store: &Store, seq: u64) -> Result<Option<OffsetDateTime>, StoreError> {
    let page = store.tail_trace(Some(seq), 1).await?;
    Ok(page.first().map(|(_, e)| e.time))
}

pub async fn revoke_workflow(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Path(id): Path<String>,
    body: Option<Json<RevokeBody>>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Approver)?;
    let record = state
        .gateway
        .store
        .get_workflow(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no workflow `{id}`")))?;
    let reason = body.and_then(|b| b.0.reason);
    revoke(
        &state,
        &operator,
        NewRevocation {
            revocation_id: record.root_revocation_id,
            workflow_id: Some(id),
            operator: operator.name.clone(),
            reason,
        },
    )
    .await
}

pub async fn revoke_block(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Json(body): Json<RevokeBlock>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Approver)?;
    if behavry_workflow::RevocationId::parse(&body.revocation_id).is_err() {
        return Err(ApiError::BadRequest(
            "revocation_id must be 128 lowercase hex digits (as `behavry workflow inspect` prints)"
                .into(),
        ));
    }
    revoke(
        &state,
        &operator,
        NewRevocation {
            revocation_id: body.revocation_id,
            workflow_id: body.workflow_id,
            operator: operator.name.clone(),
            reason: body.reason,
        },
    )
    .await
}

async fn revoke(
    state: &ControlState,
    operator: &Operator,
    revocation: NewRevocation,
) -> Result<Json<Value>, ApiError> {
    let stage = stage(state)?;
    let record = state.gateway.store.revoke_delegation(revocation).await?;
    stage.reload_revocations(&state.gateway.store).await?;
    state
        .gateway
        .record_operator_action(
            "workflow_revoked",
            &operator.name,
            record.reason.as_deref(),
            json!({"revocation_id": record.revocation_id, "workflow_id": record.workflow_id}),
        )
        .await
        .map_err(crate::approvals::map_err)?;
    tracing::warn!(revocation = %record.revocation_id, workflow = ?record.workflow_id, operator = %operator.name, "workflow delegation revoked");
    Ok(Json(json!({"revocation": record})))
}

pub async fn public_key(State(state): State<Arc<ControlState>>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"public_key": stage(&state)?.public_key_text()}),
    ))
}
