//! `/healthz` (the process answers), `/readyz` (storage answers, a
//! validated policy is active and, with several replicas, this one's view
//! of the shared state is current) and `/metrics` (Prometheus text).

use crate::ControlState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(state): State<Arc<ControlState>>) -> Response {
    let gw = &state.gateway;
    let store_ok = gw.store.ping().await.is_ok();
    let policy = gw.policy.status();
    let coordination = gw.coordination.status();
    // A stale replica denies every call: take it out of the load balancer.
    let ready = store_ok && coordination.state != "stale";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "ready": ready,
        "store": if store_ok { "ok" } else { "unavailable" },
        "policy_revision": policy.revision,
        "policy_last_error": policy.last_error,
        "agents": gw.agents.len(),
        "coordination": coordination,
    });
    (status, axum::Json(body)).into_response()
}

pub async fn metrics(State(state): State<Arc<ControlState>>) -> Response {
    let gw = &state.gateway;
    gw.metrics
        .approvals_pending
        .set(gw.approvals.waiting() as i64);
    gw.metrics.sessions.set(gw.sessions.len() as i64);
    let text = gw.metrics.encode();
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
