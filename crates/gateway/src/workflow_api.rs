//! The agent-facing workflow API on the gateway listener, authenticated by
//! the agent's own credential like `/mcp`:
//!
//! - `POST /workflows` starts a workflow (body: the start request of
//!   docs/workflows.md) and answers `{id, token, expires, scope, clamped}`;
//! - `GET /workflows/public-key` answers `{public_key}`, what an agent
//!   needs to delegate offline.

use crate::http::admit_agent;
use crate::state::Gateway;
use crate::workflows::{start_workflow, StartFailure};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use behavry_workflow::{started_meta, StartSpec};
use serde_json::json;
use std::sync::Arc;

fn problem(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response {
    (
        status,
        Json(json!({"error": code, "message": message.to_string()})),
    )
        .into_response()
}

pub(crate) async fn start(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let agent = match admit_agent(&gw, &headers) {
        Ok(a) => a,
        Err(response) => return *response,
    };
    let spec: StartSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "workflow_start_invalid",
                format!("invalid start request: {e}"),
            )
        }
    };
    let now = gw.clock.now();
    match start_workflow(&gw, &agent, spec, now).await {
        Ok(root) => (StatusCode::CREATED, Json(started_meta(&root))).into_response(),
        Err(e) => {
            let status = match &e {
                StartFailure::Disabled => StatusCode::NOT_FOUND,
                e if e.is_client_error() => StatusCode::BAD_REQUEST,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            problem(status, e.code(), &e)
        }
    }
}

pub(crate) async fn public_key(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    if let Err(response) = admit_agent(&gw, &headers) {
        return *response;
    }
    match gw.settings.workflows.as_deref() {
        Some(stage) => Json(json!({"public_key": stage.public_key_text()})).into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            "workflow_disabled",
            StartFailure::Disabled,
        ),
    }
}
