//! Reading the Decision Trace: the tail, and every event of one decision.

use crate::error::ApiError;
use crate::operator::{Operator, Role};
use crate::ControlState;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use behavry_core::DecisionId;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub struct TailQuery {
    pub after: Option<u64>,
    pub limit: Option<u32>,
}

pub async fn tail(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Query(q): Query<TailQuery>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Viewer)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let events = state.gateway.store.tail_trace(q.after, limit).await?;
    Ok(Json(
        json!({"events": events.into_iter().map(|(seq, e)| json!({"seq": seq, "event": e})).collect::<Vec<_>>()}),
    ))
}

pub async fn show(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Path(decision_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Viewer)?;
    let events = state
        .gateway
        .store
        .trace_for_decision(&DecisionId(decision_id.clone()))
        .await?;
    if events.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no decision `{decision_id}` in the trace"
        )));
    }
    Ok(Json(
        json!({"decision_id": decision_id, "events": events.into_iter().map(|(seq, e)| json!({"seq": seq, "event": e})).collect::<Vec<_>>()}),
    ))
}
