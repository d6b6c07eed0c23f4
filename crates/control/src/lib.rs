//! The control plane: the admin API and the operator console on their own
//! listener (default 127.0.0.1:8081). Health, readiness, metrics, the
//! OpenAPI document and sign-in are open; every other `/v1` route needs the
//! admin token or a console session, and the role its entry in
//! [`routes::ROUTES`] names. `/api/v1/...` is an alias of `/v1/...`. The
//! control plane changes what the gateway reads (agent directory,
//! approvals, policy) but is never on the per-call path.

mod admin_token;
mod agents;
mod approvals;
mod auth;
mod baselines;
mod console;
mod error;
mod health;
mod kill;
mod login_limit;
mod openapi;
pub mod operator;
mod operators_api;
mod overview;
mod passwords;
mod pins;
mod policy;
pub mod routes;
mod session;
pub mod sessions;
mod sinks;
mod trace;
mod trace_filter;
mod trace_search;
mod trace_stream;
mod workflow_tree;
mod workflows;

pub use admin_token::{ensure_admin_token, AdminToken, ADMIN_TOKEN_FILE};
pub use auth::CSRF_HEADER;
pub use error::ApiError;
pub use login_limit::LoginLimiter;
pub use openapi::DOCUMENT as OPENAPI_DOCUMENT;
pub use sessions::SessionSettings;

use axum::Router;
use behavry_gateway::Gateway;
use std::path::PathBuf;
use std::sync::Arc;

/// What the admin API needs.
pub struct ControlState {
    pub gateway: Arc<Gateway>,
    pub admin_token: AdminToken,
    pub policy_dir: PathBuf,
    pub console: ConsoleAuth,
    /// The trace sinks' delivery status (`GET /v1/sinks`), as JSON.
    pub sink_status: SinkStatusFn,
}

/// Reads the trace sinks' current status; the control plane does not
/// depend on the sinks themselves.
pub type SinkStatusFn = Arc<dyn Fn() -> serde_json::Value + Send + Sync>;

impl ControlState {
    /// State with default console session settings.
    pub fn new(gateway: Arc<Gateway>, admin_token: AdminToken, policy_dir: PathBuf) -> Self {
        ControlState {
            gateway,
            admin_token,
            policy_dir,
            console: ConsoleAuth::default(),
            sink_status: Arc::new(|| serde_json::Value::Array(Vec::new())),
        }
    }
}

/// Console sign-in state: session settings and the failed-login throttle.
#[derive(Debug, Default)]
pub struct ConsoleAuth {
    pub sessions: SessionSettings,
    pub login_limit: LoginLimiter,
}

/// The admin listener's router: API routes from [`routes::ROUTES`] (each
/// behind [`auth::authenticate`]), their `/api` aliases, and the console.
pub fn router(state: Arc<ControlState>) -> Router {
    let mut api: Router<Arc<ControlState>> = Router::new();
    let mut v1: Router<Arc<ControlState>> = Router::new();
    for route in routes::ROUTES {
        let Some(handler) = routes::handler(route) else {
            tracing::error!(
                method = route.method,
                path = route.path,
                "route has no handler"
            );
            continue;
        };
        match route.path.strip_prefix("/v1") {
            Some(rest) => v1 = v1.route(rest, handler),
            None => api = api.route(route.path, handler),
        }
    }
    let api = api.nest("/v1", v1.clone()).nest("/api/v1", v1).route_layer(
        axum::middleware::from_fn_with_state(state.clone(), auth::authenticate),
    );
    api.merge(routes::console_routes())
        .layer(axum::middleware::from_fn(console::security_headers))
        .with_state(state)
}
