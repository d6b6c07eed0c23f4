//! The control plane: the admin API on its own listener (default
//! 127.0.0.1:8081). Health, readiness and metrics are open; every `/v1`
//! route needs the admin token. The control plane changes what the gateway
//! reads (agent directory, approvals, policy) but is never on the per-call
//! path.

mod admin_token;
mod agents;
mod approvals;
mod error;
mod health;
pub mod operator;
mod policy;
mod trace;

pub use admin_token::{ensure_admin_token, AdminToken, ADMIN_TOKEN_FILE};
pub use error::ApiError;

use axum::routing::{get, post};
use axum::Router;
use behavry_gateway::Gateway;
use std::path::PathBuf;
use std::sync::Arc;

/// What the admin API needs.
pub struct ControlState {
    pub gateway: Arc<Gateway>,
    pub admin_token: AdminToken,
    pub policy_dir: PathBuf,
}

pub fn router(state: Arc<ControlState>) -> Router {
    let v1 = Router::new()
        .route("/agents", get(agents::list).post(agents::create))
        .route("/agents/{name}/revoke", post(agents::revoke))
        .route("/agents/{name}/rotate", post(agents::rotate))
        .route("/approvals", get(approvals::list))
        .route("/approvals/{id}", get(approvals::show))
        .route("/approvals/{id}/approve", post(approvals::approve))
        .route("/approvals/{id}/deny", post(approvals::deny))
        .route("/trace", get(trace::tail))
        .route("/trace/{decision_id}", get(trace::show))
        .route("/policy", get(policy::status))
        .route("/policy/reload", post(policy::reload))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin_token::require,
        ));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .nest("/v1", v1)
        .with_state(state)
}
