//! Kill switches over HTTP: list, engage, release. Engaging takes effect on
//! the next call, rejects the pending approvals it covers and aborts the
//! calls held on them; both actions are recorded in the trace with who and
//! why.

use crate::approvals::map_err;
use crate::error::ApiError;
use crate::operator::{Operator, Role};
use crate::ControlState;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use behavry_core::KillScope;
use behavry_store::NewKill;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Engage {
    pub scope: String,
    #[serde(default)]
    pub target: Option<String>,
    pub reason: String,
}

pub async fn list(State(state): State<Arc<ControlState>>) -> Result<Json<Value>, ApiError> {
    let switches = state.gateway.store.engaged_kills().await?;
    Ok(Json(json!({"switches": switches})))
}

pub async fn engage(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Json(body): Json<Engage>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Approver)?;
    let scope = KillScope::parse(&body.scope).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "scope must be global, agent, workflow, upstream or tool, not `{}`",
            body.scope
        ))
    })?;
    let target = body
        .target
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    match (scope, &target) {
        (KillScope::Global, Some(_)) => {
            return Err(ApiError::BadRequest(
                "a global kill switch takes no target".into(),
            ))
        }
        (KillScope::Global, None) => {}
        (_, None) => {
            return Err(ApiError::BadRequest(format!(
                "a {} kill switch needs a target",
                scope.as_str()
            )))
        }
        (_, Some(t)) if t.len() > 200 => {
            return Err(ApiError::BadRequest(
                "target is longer than 200 characters".into(),
            ))
        }
        _ => {}
    }
    let reason = body.reason.trim().to_string();
    if reason.is_empty() || reason.len() > 2000 {
        return Err(ApiError::BadRequest(
            "a kill switch needs a reason of at most 2000 characters".into(),
        ));
    }
    let outcome = state
        .gateway
        .engage_kill(NewKill {
            scope,
            target,
            reason,
            engaged_by: operator.name.clone(),
        })
        .await
        .map_err(map_err)?;
    tracing::warn!(
        kill_switch = %outcome.record.id,
        scope = scope.as_str(),
        target = ?outcome.record.target,
        operator = %operator.name,
        rejected = outcome.rejected_approvals,
        "kill switch engaged"
    );
    Ok(Json(json!({
        "switch": outcome.record,
        "rejected_approvals": outcome.rejected_approvals,
        "aborted_calls": outcome.aborted_calls,
    })))
}

pub async fn release(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Approver)?;
    let record = state
        .gateway
        .release_kill(&id, &operator.name)
        .await
        .map_err(map_err)?;
    tracing::warn!(kill_switch = %record.id, operator = %operator.name, "kill switch released");
    Ok(Json(json!({"switch": record})))
}
