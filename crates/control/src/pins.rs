//! Pinned tool definitions over HTTP: list pins (those waiting for approval
//! with `?status=changed`) and approve a changed or flagged definition. An
//! approval makes the pending definition the pinned one, shows the tool in
//! lists again and lets calls to it be decided; it is recorded in the trace.

use crate::approvals::map_err;
use crate::error::ApiError;
use crate::operator::{Operator, Role};
use crate::ControlState;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use behavry_scan::pin::diff;
use behavry_store::{PinStatus, ToolPin};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovePin {
    /// Approve only if the pending definition still has this hash.
    #[serde(default)]
    pub hash: Option<String>,
}

/// A pin as shown to operators, with the diff of a pending definition.
fn view(pin: &ToolPin) -> Value {
    let changes = pin
        .pending_definition
        .as_ref()
        .map(|pending| diff(&pin.definition, pending));
    json!({"pin": pin, "diff": changes})
}

pub async fn list(
    State(state): State<Arc<ControlState>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") | Some("all") => None,
        Some(s) => Some(PinStatus::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!("status must be pinned, changed or all, not `{s}`"))
        })?),
    };
    let pins = state.gateway.store.list_tool_pins(status).await?;
    let pins: Vec<Value> = pins.iter().map(view).collect();
    Ok(Json(json!({"pins": pins})))
}

pub async fn approve(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Path((upstream, tool)): Path<(String, String)>,
    Json(body): Json<ApprovePin>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Approver)?;
    if let Some(h) = &body.hash {
        if !h.starts_with("sha256:") || h.len() != 71 {
            return Err(ApiError::BadRequest(
                "hash must be sha256:<64 hex digits>".into(),
            ));
        }
    }
    let pin = state
        .gateway
        .approve_tool_pin(&upstream, &tool, &operator.name, body.hash.as_deref())
        .await
        .map_err(map_err)?;
    tracing::warn!(upstream = %upstream, tool = %tool, hash = %pin.hash, operator = %operator.name, "tool definition approved");
    Ok(Json(json!({"pin": pin})))
}
