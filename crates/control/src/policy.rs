//! Policy status and an explicit reload (the same validation as hot reload:
//! a set that fails to parse or fails its tests is rejected and the active
//! one stays).

use crate::error::ApiError;
use crate::operator::{Operator, Role};
use crate::ControlState;
use axum::extract::State;
use axum::{Extension, Json};
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn status(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Viewer)?;
    Ok(Json(
        json!({"policy": state.gateway.policy.status(), "dir": state.policy_dir.display().to_string()}),
    ))
}

pub async fn reload(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Admin)?;
    match state.gateway.policy.reload_from(&state.policy_dir) {
        Ok(revision) => {
            tracing::info!(%revision, by = %operator.name, "policy reloaded");
            Ok(Json(json!({"revision": revision})))
        }
        Err(e) => Err(ApiError::Conflict(format!(
            "policy rejected, previous set stays active: {e}"
        ))),
    }
}
