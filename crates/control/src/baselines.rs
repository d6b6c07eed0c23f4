//! Behavioural baselines over HTTP: one agent's learned profile, as JSON
//! and as the text `behavry baseline show AGENT` prints. Read from the
//! gateway's live baselines (restored from the store at start).

use crate::error::ApiError;
use crate::ControlState;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn show(
    State(state): State<Arc<ControlState>>,
    Path(agent): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let risk = &state.gateway.risk;
    if !risk.enabled() {
        return Err(ApiError::Unavailable(
            "the behavioural baseline is disabled ([risk] enabled = false)".to_string(),
        ));
    }
    let Some((profile, text)) = risk.profile(&agent) else {
        return Err(ApiError::NotFound(format!(
            "no baseline for agent `{agent}` (it has not made a call that ran yet)"
        )));
    };
    Ok(Json(
        json!({"agent": agent, "profile": profile, "text": text}),
    ))
}
