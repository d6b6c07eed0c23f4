//! Agent registration: create (the credential is returned once), list,
//! revoke and rotate. Every change reloads the gateway's directory.

use crate::error::ApiError;
use crate::operator::{Operator, Role};
use crate::ControlState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use behavry_store::{AgentRecord, NewAgent};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    pub name: String,
    pub role: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub owner: Option<String>,
}

/// Names and roles appear in policy input, logs and the trace: keep them
/// short and plain.
pub fn valid_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub fn agent_json(agent: &AgentRecord) -> Value {
    json!({
        "id": agent.id,
        "name": agent.name,
        "role": agent.role,
        "labels": agent.labels,
        "owner": agent.owner,
        "created_at": agent.created_at.unix_timestamp(),
        "revoked": agent.is_revoked(),
    })
}

pub async fn create(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Json(body): Json<CreateAgent>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    operator.require(Role::Admin)?;
    if !valid_identifier(&body.name) {
        return Err(ApiError::BadRequest("agent name must be 1-64 of letters, digits, '-', '_' and '.', starting with a letter or digit".into()));
    }
    if !valid_identifier(&body.role) {
        return Err(ApiError::BadRequest("role must be 1-64 of letters, digits, '-', '_' and '.', starting with a letter or digit".into()));
    }
    if body.labels.len() > 32
        || body
            .labels
            .iter()
            .any(|(k, v)| !valid_identifier(k) || v.len() > 256)
    {
        return Err(ApiError::BadRequest(
            "labels: at most 32, keys like names, values up to 256 characters".into(),
        ));
    }
    let (credential, credential_hash) = behavry_gateway::mint_credential();
    let record = state
        .gateway
        .store
        .create_agent(NewAgent {
            name: body.name,
            role: body.role,
            labels: body.labels,
            owner: body.owner,
            credential_hash,
        })
        .await?;
    reload(&state).await?;
    tracing::info!(agent = %record.name, role = %record.role, by = %operator.name, "agent created");
    Ok((
        StatusCode::CREATED,
        Json(json!({"agent": agent_json(&record), "credential": credential})),
    ))
}

/// Every agent, with the time of its latest decision (`last_activity`,
/// Unix seconds, `null` when it never made a call).
pub async fn list(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Viewer)?;
    let agents = state.gateway.store.list_agents().await?;
    let activity = state.gateway.store.agent_last_activity().await?;
    let listed: Vec<Value> = agents
        .iter()
        .map(|a| {
            let mut v = agent_json(a);
            v["last_activity"] = json!(activity.get(&a.id.0).map(|t| t.unix_timestamp()));
            v
        })
        .collect();
    Ok(Json(json!({ "agents": listed })))
}

pub async fn revoke(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Admin)?;
    let record = state.gateway.store.revoke_agent(&name).await?;
    reload(&state).await?;
    tracing::info!(agent = %record.name, by = %operator.name, "agent revoked");
    Ok(Json(json!({"agent": agent_json(&record)})))
}

pub async fn rotate(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Admin)?;
    let (credential, hash) = behavry_gateway::mint_credential();
    let record = state.gateway.store.rotate_credential(&name, &hash).await?;
    reload(&state).await?;
    tracing::info!(agent = %record.name, by = %operator.name, "agent credential rotated");
    Ok(Json(
        json!({"agent": agent_json(&record), "credential": credential}),
    ))
}

async fn reload(state: &ControlState) -> Result<(), ApiError> {
    state.gateway.agents_changed().await?;
    Ok(())
}
