//! The operator console: static HTML, CSS and JavaScript compiled into the
//! binary and served by the admin listener at `/` (assets under
//! `/console/assets/`). No build step and no external resource: the page
//! works offline. Every response carries a strict Content-Security-Policy
//! (scripts and styles from this origin only, no inline code, no framing).

use axum::extract::{Path, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

macro_rules! assets {
    ($($path:literal => $mime:literal),* $(,)?) => {
        /// Every console asset: path under `/console/assets/`, content type, body.
        pub const ASSETS: &[(&str, &str, &str)] = &[
            $(($path, $mime, include_str!(concat!("../console/", $path))),)*
        ];
    };
}

assets! {
    "console.css" => "text/css; charset=utf-8",
    "app.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "dom.js" => "text/javascript; charset=utf-8",
    "format.js" => "text/javascript; charset=utf-8",
    "shell.js" => "text/javascript; charset=utf-8",
    "pages/login.js" => "text/javascript; charset=utf-8",
    "pages/overview.js" => "text/javascript; charset=utf-8",
    "pages/live.js" => "text/javascript; charset=utf-8",
    "pages/approvals.js" => "text/javascript; charset=utf-8",
    "pages/approval.js" => "text/javascript; charset=utf-8",
    "pages/agents.js" => "text/javascript; charset=utf-8",
    "pages/policies.js" => "text/javascript; charset=utf-8",
    "pages/trace.js" => "text/javascript; charset=utf-8",
    "pages/record.js" => "text/javascript; charset=utf-8",
    "pages/kill.js" => "text/javascript; charset=utf-8",
    "pages/workflows.js" => "text/javascript; charset=utf-8",
    "pages/workflow_graph.js" => "text/javascript; charset=utf-8",
    "pages/operators.js" => "text/javascript; charset=utf-8",
    "icon.svg" => "image/svg+xml",
}

const INDEX: &str = include_str!("../console/index.html");

pub async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX,
    )
        .into_response()
}

pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(path, _, _)| *path == file) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

/// Middleware on every response of the admin listener.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
