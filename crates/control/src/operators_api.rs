//! `/v1/operators`: console operators (admin role), and setting a password
//! (admins for anyone, every operator for themself). Password hashes never
//! leave the store; the API shows only whether one is set.

use crate::agents::valid_identifier;
use crate::error::ApiError;
use crate::operator::{Operator, Role};
use crate::passwords::{self, PasswordError};
use crate::ControlState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use behavry_store::{NewOperator, OperatorRecord, OperatorUpdate};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOperator {
    pub name: String,
    pub role: String,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateOperator {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub groups: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub password: String,
}

pub fn operator_json(op: &OperatorRecord) -> Value {
    json!({
        "id": op.id,
        "name": op.name,
        "role": op.role,
        "groups": op.groups,
        "has_password": op.password_hash.is_some(),
        "created_at": op.created_at.unix_timestamp(),
        "disabled": op.is_disabled(),
    })
}

pub async fn list(
    State(state): State<Arc<ControlState>>,
    Extension(me): Extension<Operator>,
) -> Result<Json<Value>, ApiError> {
    me.require(Role::Admin)?;
    let ops = state.gateway.store.list_operators().await?;
    Ok(Json(
        json!({"operators": ops.iter().map(operator_json).collect::<Vec<_>>()}),
    ))
}

pub async fn create(
    State(state): State<Arc<ControlState>>,
    Extension(me): Extension<Operator>,
    Json(body): Json<CreateOperator>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    me.require(Role::Admin)?;
    if !valid_identifier(&body.name) || body.name == Operator::admin_token().name {
        return Err(ApiError::BadRequest(
            "operator name must be 1-64 of letters, digits, '-', '_' and '.', starting with a letter or digit, and not `admin`".into(),
        ));
    }
    let role = parse_role(&body.role)?;
    validate_groups(&body.groups)?;
    let password_hash = match body.password {
        Some(p) => Some(passwords::hash(p).await.map_err(password_error)?),
        None => None,
    };
    let record = state
        .gateway
        .store
        .create_operator(NewOperator {
            name: body.name,
            role: role.as_str().to_string(),
            groups: body.groups,
            password_hash,
        })
        .await?;
    tracing::info!(operator = %record.name, role = %record.role, by = %me.name, "operator created");
    Ok((
        StatusCode::CREATED,
        Json(json!({"operator": operator_json(&record)})),
    ))
}

pub async fn update(
    State(state): State<Arc<ControlState>>,
    Extension(me): Extension<Operator>,
    Path(name): Path<String>,
    Json(body): Json<UpdateOperator>,
) -> Result<Json<Value>, ApiError> {
    me.require(Role::Admin)?;
    let role = body.role.as_deref().map(parse_role).transpose()?;
    if let Some(groups) = &body.groups {
        validate_groups(groups)?;
    }
    let record = state
        .gateway
        .store
        .update_operator(
            &name,
            OperatorUpdate {
                role: role.map(|r| r.as_str().to_string()),
                groups: body.groups,
                password_hash: None,
            },
        )
        .await?;
    tracing::info!(operator = %record.name, role = %record.role, by = %me.name, "operator updated");
    Ok(Json(json!({"operator": operator_json(&record)})))
}

pub async fn disable(
    State(state): State<Arc<ControlState>>,
    Extension(me): Extension<Operator>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    me.require(Role::Admin)?;
    let record = state.gateway.store.disable_operator(&name).await?;
    tracing::info!(operator = %record.name, by = %me.name, "operator disabled");
    Ok(Json(json!({"operator": operator_json(&record)})))
}

pub async fn set_password(
    State(state): State<Arc<ControlState>>,
    Extension(me): Extension<Operator>,
    Path(name): Path<String>,
    Json(body): Json<SetPassword>,
) -> Result<Json<Value>, ApiError> {
    if me.name != name {
        me.require(Role::Admin)?;
    }
    let hash = passwords::hash(body.password)
        .await
        .map_err(password_error)?;
    let record = state
        .gateway
        .store
        .update_operator(
            &name,
            OperatorUpdate {
                password_hash: Some(hash),
                ..OperatorUpdate::default()
            },
        )
        .await?;
    tracing::info!(operator = %record.name, by = %me.name, "operator password set; their sessions ended");
    Ok(Json(json!({"operator": operator_json(&record)})))
}

fn parse_role(role: &str) -> Result<Role, ApiError> {
    Role::parse(role).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "role must be viewer, approver or admin (got `{role}`)"
        ))
    })
}

fn validate_groups(groups: &[String]) -> Result<(), ApiError> {
    if groups.len() > 32 || groups.iter().any(|g| !valid_identifier(g)) {
        return Err(ApiError::BadRequest(
            "groups: at most 32, each named like an operator".into(),
        ));
    }
    Ok(())
}

fn password_error(e: PasswordError) -> ApiError {
    match e {
        PasswordError::Length => ApiError::BadRequest(e.to_string()),
        PasswordError::Hash => ApiError::Unavailable(e.to_string()),
    }
}
