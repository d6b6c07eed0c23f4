//! Authentication and authorization of every admin API request.
//!
//! A request is authenticated by exactly one of:
//! - `Authorization: Bearer <admin token>` → the `admin` operator. Any other
//!   `Authorization` header — an agent credential above all — is `401`, and
//!   a cookie sent beside it is not consulted;
//! - the console session cookie → the session's operator. State-changing
//!   methods also need `X-CSRF-Token` equal to the session's CSRF token, and
//!   an `Origin` (when sent) equal to the console's origin.
//!
//! The route's required role comes from [`crate::routes::ROUTES`], so no
//! route can be reached without its check; handlers check again where an
//! action depends on the operator (for example setting one's own password).

use crate::error::ApiError;
use crate::operator::Operator;
use crate::routes::{self, Access};
use crate::sessions::{self, SessionId};
use crate::ControlState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Header carrying the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Middleware on every API route.
pub async fn authenticate(
    State(state): State<Arc<ControlState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let route = matched
        .as_deref()
        .and_then(|p| routes::lookup(request.method().as_str(), p));
    let required = match route.map(|r| r.access) {
        Some(Access::Public) => return next.run(request).await,
        Some(Access::Operator(role)) => role,
        // A known path with a method the table does not list.
        None if matched.as_deref().is_some_and(routes::is_known_path) => {
            return StatusCode::METHOD_NOT_ALLOWED.into_response()
        }
        // A routed path missing from the table: refuse rather than guess.
        None => return ApiError::Forbidden("this route has no access rule".into()).into_response(),
    };
    let (operator, session) = match identify(&state, request.method(), request.headers()).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = operator.require(required) {
        return e.into_response();
    }
    request.extensions_mut().insert(operator);
    if let Some(session) = session {
        request.extensions_mut().insert(session);
    }
    next.run(request).await
}

async fn identify(
    state: &ControlState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(Operator, Option<SessionId>), ApiError> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
        return match token {
            Some(t) if state.admin_token.matches(t) => Ok((Operator::admin_token(), None)),
            _ => Err(ApiError::Unauthorized),
        };
    }
    let settings = &state.console.sessions;
    let Some(id) = SessionId::from_headers(headers, settings.cookie_name()) else {
        return Err(ApiError::Unauthorized);
    };
    if !is_safe(method) {
        check_csrf(&id, headers)?;
        check_origin(settings, headers)?;
    }
    let operator = sessions::resolve(&state.gateway.store, settings, &id).await?;
    Ok((operator, Some(id)))
}

pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn check_csrf(id: &SessionId, headers: &HeaderMap) -> Result<(), ApiError> {
    let presented = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match presented {
        Some(token) if id.csrf_matches(token) => Ok(()),
        _ => Err(ApiError::Forbidden(
            "missing or wrong X-CSRF-Token for this session".into(),
        )),
    }
}

/// When the browser says where a request comes from (`Origin`,
/// `Sec-Fetch-Site`), it must be the console itself.
pub fn check_origin(
    settings: &sessions::SessionSettings,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return Err(ApiError::Forbidden("cross-site request refused".into()));
        }
    }
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let expected = match &settings.public_origin {
        Some(public) => vec![public.trim_end_matches('/').to_string()],
        None => match headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
        {
            Some(host) => vec![format!("http://{host}"), format!("https://{host}")],
            None => Vec::new(),
        },
    };
    if expected.iter().any(|e| e == origin) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "origin `{origin}` is not this console's origin"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::SessionSettings;

    type Headers = Vec<(&'static str, &'static str)>;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn origin_rules() {
        let plain = SessionSettings::default();
        let public = SessionSettings {
            public_origin: Some("https://console.example.com".into()),
            ..SessionSettings::default()
        };
        let cases: Vec<(&SessionSettings, Headers, bool)> = vec![
            (&plain, vec![], true),
            (&plain, vec![("host", "127.0.0.1:8081")], true),
            (
                &plain,
                vec![
                    ("host", "127.0.0.1:8081"),
                    ("origin", "http://127.0.0.1:8081"),
                ],
                true,
            ),
            (
                &plain,
                vec![
                    ("host", "127.0.0.1:8081"),
                    ("origin", "http://evil.example"),
                ],
                false,
            ),
            (
                &plain,
                vec![("host", "127.0.0.1:8081"), ("origin", "null")],
                false,
            ),
            (&plain, vec![("origin", "http://127.0.0.1:8081")], false),
            (&plain, vec![("sec-fetch-site", "cross-site")], false),
            (&plain, vec![("sec-fetch-site", "same-site")], false),
            (&plain, vec![("sec-fetch-site", "same-origin")], true),
            (
                &public,
                vec![
                    ("host", "10.0.0.5:8081"),
                    ("origin", "https://console.example.com"),
                ],
                true,
            ),
            (
                &public,
                vec![
                    ("host", "10.0.0.5:8081"),
                    ("origin", "http://10.0.0.5:8081"),
                ],
                false,
            ),
        ];
        for (settings, pairs, ok) in cases {
            assert_eq!(
                check_origin(settings, &headers(&pairs)).is_ok(),
                ok,
                "{pairs:?}"
            );
        }
    }
}
