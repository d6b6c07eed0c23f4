//! The approvals inbox over HTTP: list, show, approve, deny. Approving or
//! denying releases the held call and is recorded in the trace.

use crate::error::ApiError;
use crate::ControlState;
use axum::extract::{Path, Query, State};
use axum::Json;
use behavry_gateway::ApprovalError;
use behavry_store::ApprovalStatus;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// The operator recorded for actions taken with the admin token.
const ADMIN_OPERATOR: &str = "admin";

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    #[serde(default)]
    pub reason: Option<String>,
}

pub async fn list(
    State(state): State<Arc<ControlState>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("all") => None,
        Some(s) => Some(
            ApprovalStatus::parse(s)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown status `{s}`")))?,
        ),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let approvals = state.gateway.store.list_approvals(status, limit).await?;
    Ok(Json(json!({"approvals": approvals})))
}

pub async fn show(
    State(state): State<Arc<ControlState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let approval = state
        .gateway
        .store
        .get_approval(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval `{id}`")))?;
    Ok(Json(json!({"approval": approval})))
}

pub async fn approve(
    State(state): State<Arc<ControlState>>,
    Path(id): Path<String>,
    body: Option<Json<Resolution>>,
) -> Result<Json<Value>, ApiError> {
    let reason = body.and_then(|Json(b)| b.reason);
    resolve(&state, &id, true, reason).await
}

pub async fn deny(
    State(state): State<Arc<ControlState>>,
    Path(id): Path<String>,
    body: Option<Json<Resolution>>,
) -> Result<Json<Value>, ApiError> {
    let reason = body.and_then(|Json(b)| b.reason);
    if reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(ApiError::BadRequest(
            "denying an approval needs a reason; the agent receives it".into(),
        ));
    }
    resolve(&state, &id, false, reason).await
}

async fn resolve(
    state: &ControlState,
    id: &str,
    approve: bool,
    reason: Option<String>,
) -> Result<Json<Value>, ApiError> {
    if reason.as_ref().is_some_and(|r| r.len() > 2000) {
        return Err(ApiError::BadRequest(
            "reason is longer than 2000 characters".into(),
        ));
    }
    let record = state
        .gateway
        .approvals
        .resolve(id, approve, Some(ADMIN_OPERATOR), reason.as_deref())
        .await
        .map_err(|e| match e {
            ApprovalError::Store(s) => ApiError::from(s),
            ApprovalError::Trace(s) => {
                tracing::error!(error = %s, "approval resolved but trace write failed");
                ApiError::Unavailable("the approval was recorded but the trace write failed".into())
            }
        })?;
    tracing::info!(approval = %record.id, status = %record.status, "approval resolved");
    Ok(Json(json!({"approval": record})))
}
