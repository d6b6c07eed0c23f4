//! `GET /v1/sinks`: where each Decision Trace sink stands — its cursor,
//! backlog (records and age), delivered, failed and dropped counts, and
//! its last error — so operators see a SIEM outage as a growing backlog.

use crate::error::ApiError;
use crate::ControlState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn list(State(state): State<Arc<ControlState>>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"sinks": (state.sink_status)()})))
}
