//! `/v1/session`: console sign-in (operator name and password, or the admin
//! token), the current operator with the session's CSRF token, and sign-out.
//! Failed sign-ins are throttled per name and per client address.

use crate::auth;
use crate::error::ApiError;
use crate::operator::{Operator, Role};
use crate::passwords;
use crate::sessions::SessionId;
use crate::ControlState;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use behavry_store::NewConsoleSession;
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    admin_token: Option<String>,
}

/// The client's address when the listener records it.
pub struct ClientAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

pub async fn login(
    State(state): State<Arc<ControlState>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Json(body): Json<Login>,
) -> Result<Response, ApiError> {
    let settings = &state.console.sessions;
    auth::check_origin(settings, &headers)?;
    let ip_key = format!(
        "ip:{}",
        addr.map_or("unknown".into(), |a| a.ip().to_string())
    );
    let store = &state.gateway.store;
    let (operator, operator_id) = match (body.name, body.password, body.admin_token) {
        (None, None, Some(token)) => {
            let keys = vec![ip_key, "admin-token".to_string()];
            throttle(&state, &keys)?;
            if !state.admin_token.matches(&token) {
                return Err(failed(&state, &keys, "admin token"));
            }
            (Operator::admin_token(), None)
        }
        (Some(name), Some(password), None) => {
            let keys = vec![ip_key, format!("name:{name}")];
            throttle(&state, &keys)?;
            if name.len() > 64 || password.len() > passwords::MAX_LENGTH * 4 {
                return Err(failed(&state, &keys, "operator"));
            }
            let record = store.get_operator_by_name(&name).await?;
            let stored = record
                .as_ref()
                .filter(|r| !r.is_disabled())
                .and_then(|r| r.password_hash.clone());
            let role = record.as_ref().and_then(|r| Role::parse(&r.role));
            match (passwords::verify(password, stored).await, record, role) {
                (true, Some(r), Some(role)) => (
                    Operator {
                        name: r.name,
                        role,
                        groups: r.groups,
                    },
                    Some(r.id),
                ),
                _ => return Err(failed(&state, &keys, "operator")),
            }
        }
        _ => {
            return Err(ApiError::BadRequest(
                "sign in with {name, password} or with {admin_token}".into(),
            ))
        }
    };
    let now = OffsetDateTime::now_utc();
    let idle = time::Duration::try_from(settings.idle).unwrap_or(time::Duration::ZERO);
    let absolute = time::Duration::try_from(settings.absolute).unwrap_or(time::Duration::ZERO);
    if let Err(e) = store.delete_stale_console_sessions(now, now - idle).await {
        tracing::warn!(error = %e, "could not remove stale console sessions");
    }
    let id = SessionId::generate();
    store
        .create_console_session(NewConsoleSession {
            id_hash: id.hash(),
            operator_id,
            created_at: now,
            expires_at: now + absolute,
        })
        .await?;
    tracing::info!(operator = %operator.name, role = %operator.role, "console sign-in");
    let body = session_body(&state, &operator, Some(&id), Some(now + absolute));
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    set_header(&mut response, header::SET_COOKIE, &settings.set_cookie(&id));
    set_header(&mut response, header::CACHE_CONTROL, "no-store");
    Ok(response)
}

fn throttle(state: &ControlState, keys: &[String]) -> Result<(), ApiError> {
    if state.console.login_limit.allows(keys) {
        Ok(())
    } else {
        Err(ApiError::TooManyRequests(
            "too many failed sign-ins; wait a minute and try again".into(),
        ))
    }
}

fn failed(state: &ControlState, keys: &[String], kind: &str) -> ApiError {
    state.console.login_limit.record_failure(keys);
    tracing::warn!(kind, "console sign-in failed");
    ApiError::Unauthorized
}

pub async fn current(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    session: Option<Extension<SessionId>>,
) -> Response {
    let body = session_body(&state, &operator, session.as_ref().map(|s| &s.0), None);
    let mut response = Json(body).into_response();
    set_header(&mut response, header::CACHE_CONTROL, "no-store");
    response
}

pub async fn logout(
    State(state): State<Arc<ControlState>>,
    session: Option<Extension<SessionId>>,
) -> Result<Response, ApiError> {
    if let Some(Extension(id)) = session {
        state
            .gateway
            .store
            .delete_console_session(&id.hash())
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_header(
        &mut response,
        header::SET_COOKIE,
        &state.console.sessions.clear_cookie(),
    );
    Ok(response)
}

fn session_body(
    state: &ControlState,
    operator: &Operator,
    session: Option<&SessionId>,
    expires_at: Option<OffsetDateTime>,
) -> Value {
    json!({
        "operator": operator,
        "csrf_token": session.map(SessionId::csrf_token),
        "expires_at": expires_at.map(|t| t.unix_timestamp()),
        "idle_timeout_secs": state.console.sessions.idle.as_secs(),
    })
}

fn set_header(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(name, v);
    }
}
