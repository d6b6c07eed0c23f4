//! The one table of admin API routes: method, path and the least role that
//! may call it. The router is built from this table, the auth middleware
//! enforces each route's role from it, and a test checks that the OpenAPI
//! document describes exactly these routes.
//!
//! Adding a route: add a [`Route`] here and its handler in [`handler`]; a
//! route without a handler is left out of the router and fails the tests.

use crate::operator::Role;
use crate::{
    agents, approvals, baselines, console, health, kill, openapi, operators_api, overview, pins,
    policy, session, sinks, trace, trace_search, trace_stream, workflows, ControlState,
};
use axum::routing::{delete, get, patch, post, MethodRouter};
use std::sync::Arc;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No authentication (health, metrics, the OpenAPI document, sign-in).
    Public,
    /// An authenticated operator with at least this role.
    Operator(Role),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// The path as written in the router and the OpenAPI document.
    pub path: &'static str,
    pub access: Access,
}

const fn route(method: &'static str, path: &'static str, access: Access) -> Route {
    Route {
        method,
        path,
        access,
    }
}

use Access::{Operator as Op, Public};
use Role::{Admin, Approver, Viewer};

/// Every API route. The console's static files are served beside these.
pub const ROUTES: &[Route] = &[
    route("GET", "/healthz", Public),
    route("GET", "/readyz", Public),
    route("GET", "/metrics", Public),
    route("GET", "/api/v1/openapi.json", Public),
    route("POST", "/v1/session", Public),
    route("GET", "/v1/session", Op(Viewer)),
    route("DELETE", "/v1/session", Op(Viewer)),
    route("GET", "/v1/overview", Op(Viewer)),
    route("GET", "/v1/agents", Op(Viewer)),
    route("POST", "/v1/agents", Op(Admin)),
    route("POST", "/v1/agents/{name}/revoke", Op(Admin)),
    route("POST", "/v1/agents/{name}/rotate", Op(Admin)),
    route("GET", "/v1/approvals", Op(Viewer)),
    route("GET", "/v1/approvals/{id}", Op(Viewer)),
    route("POST", "/v1/approvals/{id}/approve", Op(Approver)),
    route("POST", "/v1/approvals/{id}/deny", Op(Approver)),
    route("GET", "/v1/grants", Op(Viewer)),
    route("DELETE", "/v1/grants/{id}", Op(Approver)),
    route("GET", "/v1/sinks", Op(Viewer)),
    route("GET", "/v1/kill", Op(Viewer)),
    route("POST", "/v1/kill", Op(Approver)),
    route("DELETE", "/v1/kill/{id}", Op(Approver)),
    route("GET", "/v1/trace", Op(Viewer)),
    route("GET", "/v1/trace/search", Op(Viewer)),
    route("GET", "/v1/trace/stream", Op(Viewer)),
    route("GET", "/v1/trace/{decision_id}", Op(Viewer)),
    route("GET", "/v1/policy", Op(Viewer)),
    route("GET", "/v1/tool-pins", Op(Viewer)),
    route(
        "POST",
        "/v1/tool-pins/{upstream}/{tool}/approve",
        Op(Approver),
    ),
    route("GET", "/v1/baselines/{agent}", Op(Viewer)),
    route("GET", "/v1/workflows", Op(Viewer)),
    route("GET", "/v1/workflows/public-key", Op(Viewer)),
    route("POST", "/v1/workflows/revocations", Op(Approver)),
    route("GET", "/v1/workflows/{id}", Op(Viewer)),
    route("POST", "/v1/workflows/{id}/revoke", Op(Approver)),
    route("POST", "/v1/policy/reload", Op(Admin)),
    route("GET", "/v1/operators", Op(Admin)),
    route("POST", "/v1/operators", Op(Admin)),
    route("PATCH", "/v1/operators/{name}", Op(Admin)),
    route("POST", "/v1/operators/{name}/disable", Op(Admin)),
    // Admins set anyone's password; every operator may set their own.
    route("POST", "/v1/operators/{name}/password", Op(Viewer)),
];

/// The handler of a route in [`ROUTES`]; `None` for a route without one.
pub(crate) fn handler(route: &Route) -> Option<MethodRouter<Arc<ControlState>>> {
    let h = match (route.method, route.path) {
        ("GET", "/healthz") => get(health::healthz),
        ("GET", "/readyz") => get(health::readyz),
        ("GET", "/metrics") => get(health::metrics),
        ("GET", "/api/v1/openapi.json") => get(openapi::document),
        ("POST", "/v1/session") => post(session::login),
        ("GET", "/v1/session") => get(session::current),
        ("DELETE", "/v1/session") => delete(session::logout),
        ("GET", "/v1/overview") => get(overview::show),
        ("GET", "/v1/agents") => get(agents::list),
        ("POST", "/v1/agents") => post(agents::create),
        ("POST", "/v1/agents/{name}/revoke") => post(agents::revoke),
        ("POST", "/v1/agents/{name}/rotate") => post(agents::rotate),
        ("GET", "/v1/approvals") => get(approvals::list),
        ("GET", "/v1/approvals/{id}") => get(approvals::show),
        ("POST", "/v1/approvals/{id}/approve") => post(approvals::approve),
        ("POST", "/v1/approvals/{id}/deny") => post(approvals::deny),
        ("GET", "/v1/grants") => get(approvals::grants),
        ("DELETE", "/v1/grants/{id}") => delete(approvals::revoke_grant),
        ("GET", "/v1/sinks") => get(sinks::list),
        ("GET", "/v1/kill") => get(kill::list),
        ("POST", "/v1/kill") => post(kill::engage),
        ("DELETE", "/v1/kill/{id}") => delete(kill::release),
        ("GET", "/v1/trace") => get(trace::tail),
        ("GET", "/v1/trace/search") => get(trace_search::search),
        ("GET", "/v1/trace/stream") => get(trace_stream::stream),
        ("GET", "/v1/trace/{decision_id}") => get(trace::show),
        ("GET", "/v1/policy") => get(policy::status),
        ("GET", "/v1/tool-pins") => get(pins::list),
        ("POST", "/v1/tool-pins/{upstream}/{tool}/approve") => post(pins::approve),
        ("GET", "/v1/baselines/{agent}") => get(baselines::show),
        ("GET", "/v1/workflows") => get(workflows::list),
        ("GET", "/v1/workflows/public-key") => get(workflows::public_key),
        ("POST", "/v1/workflows/revocations") => post(workflows::revoke_block),
        ("GET", "/v1/workflows/{id}") => get(workflows::show),
        ("POST", "/v1/workflows/{id}/revoke") => post(workflows::revoke_workflow),
        ("POST", "/v1/policy/reload") => post(policy::reload),
        ("GET", "/v1/operators") => get(operators_api::list),
        ("POST", "/v1/operators") => post(operators_api::create),
        ("PATCH", "/v1/operators/{name}") => patch(operators_api::update),
        ("POST", "/v1/operators/{name}/disable") => post(operators_api::disable),
        ("POST", "/v1/operators/{name}/password") => post(operators_api::set_password),
        _ => return None,
    };
    Some(h)
}

/// The table entry for a matched router path (`/api/v1/...` is the alias
/// of `/v1/...`) and method.
pub fn lookup(method: &str, matched_path: &str) -> Option<&'static Route> {
    let path = match matched_path.strip_prefix("/api") {
        Some(rest) if rest.starts_with("/v1/") && rest != "/v1/openapi.json" => rest,
        _ => matched_path,
    };
    ROUTES.iter().find(|r| r.method == method && r.path == path)
}

/// Whether any route in the table has this matched router path.
pub fn is_known_path(matched_path: &str) -> bool {
    ROUTES
        .iter()
        .any(|r| lookup(r.method, matched_path).is_some())
}

/// Console pages and assets; not API routes.
pub(crate) fn console_routes() -> axum::Router<Arc<ControlState>> {
    axum::Router::new()
        .route("/", get(console::index))
        .route("/console", get(console::index))
        .route("/console/", get(console::index))
        .route("/console/assets/{*file}", get(console::asset))
}
