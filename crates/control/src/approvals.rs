//! The approvals inbox over HTTP: list, show, approve (once, for a scope,
//! or with edited arguments), deny, and scoped grants. Every action names
//! the authenticated operator, is checked against the approval's rule and
//! is recorded in the trace.

use crate::error::ApiError;
use crate::operator::{Operator, Role};
use crate::ControlState;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use behavry_core::{decide, redact_arguments, Guards, PolicyInput, RequestMeta, ToolCall, Verdict};
use behavry_gateway::{ApprovalError, Approver};
use behavry_store::{ApprovalRecord, ApprovalStatus, NewGrant};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Longest scope an approver may grant.
const MAX_SCOPE_TTL_SECS: u64 = 7 * 24 * 3600;
const MAX_REASON: usize = 2000;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approve {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub scope: Option<Scope>,
    /// Edit-and-approve: forward these arguments instead (policy is
    /// evaluated again on the edited call).
    #[serde(default)]
    pub arguments: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub ttl_secs: u64,
    #[serde(default)]
    pub argument_pattern: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deny {
    #[serde(default)]
    pub reason: Option<String>,
}

pub async fn list(
    State(state): State<Arc<ControlState>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("all") => None,
        Some(s) => Some(
            ApprovalStatus::parse(s)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown status `{s}`")))?,
        ),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let approvals = state.gateway.store.list_approvals(status, limit).await?;
    let views: Vec<Value> = approvals.iter().map(|a| view(&state, a)).collect();
    Ok(Json(json!({"approvals": views})))
}

pub async fn show(
    State(state): State<Arc<ControlState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let approval = get(&state, &id).await?;
    Ok(Json(json!({"approval": view(&state, &approval)})))
}

pub async fn approve(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Path(id): Path<String>,
    body: Option<Json<Approve>>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Approver)?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    check_reason(body.reason.as_deref())?;
    let current = get(&state, &id).await?;
    let approver = approver(&operator);
    behavry_gateway::ApprovalHub::may_decide(&current, &approver).map_err(ApiError::Forbidden)?;
    if let Some(scope) = &body.scope {
        if scope.ttl_secs == 0 || scope.ttl_secs > MAX_SCOPE_TTL_SECS {
            return Err(ApiError::BadRequest(format!(
                "scope.ttl_secs must be between 1 and {MAX_SCOPE_TTL_SECS}"
            )));
        }
        if let Some(p) = &scope.argument_pattern {
            behavry_gateway::compile_pattern(p).map_err(ApiError::BadRequest)?;
        }
    }
    if let Some(args) = &body.arguments {
        if !args.is_object() {
            return Err(ApiError::BadRequest(
                "arguments must be a JSON object".into(),
            ));
        }
        if let Some(denial) = policy_on_edit(&state, &current, args).await? {
            // The edited call is not allowed: the request is rejected and the
            // agent told why.
            let reason = format!("edited arguments denied by policy: {denial}");
            let record = state
                .gateway
                .approvals
                .vote(&id, &approver, false, Some(&reason), None, None)
                .await
                .map_err(map_err)?;
            return Ok(Json(json!({
                "approval": view(&state, &record),
                "outcome": "denied_by_policy",
            })));
        }
    }
    let detail = body.scope.as_ref().map(
        |s| json!({"scope": {"ttl_secs": s.ttl_secs, "argument_pattern": s.argument_pattern}}),
    );
    let record = state
        .gateway
        .approvals
        .vote(
            &id,
            &approver,
            true,
            body.reason.as_deref(),
            body.arguments,
            detail,
        )
        .await
        .map_err(map_err)?;
    let mut grant = None;
    if let (ApprovalStatus::Approved, Some(scope)) = (record.status, body.scope) {
        let now = OffsetDateTime::now_utc();
        grant = Some(
            state
                .gateway
                .create_grant(NewGrant {
                    agent_id: record.agent_id.clone(),
                    agent_name: record.agent_name.clone(),
                    upstream: record.upstream.clone(),
                    tool: record.tool.clone(),
                    argument_pattern: scope.argument_pattern,
                    approval_id: Some(record.id.clone()),
                    created_by: operator.name.clone(),
                    created_at: now,
                    expires_at: now + Duration::from_secs(scope.ttl_secs),
                })
                .await
                .map_err(map_err)?,
        );
    }
    let outcome = match record.status {
        ApprovalStatus::Approved => "approved",
        ApprovalStatus::Pending => "pending_more_votes",
        _ => "rejected",
    };
    tracing::info!(approval = %record.id, operator = %operator.name, outcome, "approval vote");
    Ok(Json(
        json!({"approval": view(&state, &record), "outcome": outcome, "grant": grant}),
    ))
}

pub async fn deny(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Path(id): Path<String>,
    body: Option<Json<Deny>>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Approver)?;
    let reason = body.and_then(|Json(b)| b.reason);
    let Some(reason) = reason.filter(|r| !r.trim().is_empty()) else {
        return Err(ApiError::BadRequest(
            "denying an approval needs a reason; the agent receives it".into(),
        ));
    };
    check_reason(Some(&reason))?;
    let record = state
        .gateway
        .approvals
        .vote(&id, &approver(&operator), false, Some(&reason), None, None)
        .await
        .map_err(map_err)?;
    tracing::info!(approval = %record.id, operator = %operator.name, "approval denied");
    Ok(Json(json!({"approval": view(&state, &record)})))
}

pub async fn grants(State(state): State<Arc<ControlState>>) -> Result<Json<Value>, ApiError> {
    let grants = state
        .gateway
        .store
        .active_grants(OffsetDateTime::now_utc())
        .await?;
    Ok(Json(json!({"grants": grants})))
}

pub async fn revoke_grant(
    State(state): State<Arc<ControlState>>,
    Extension(operator): Extension<Operator>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    operator.require(Role::Approver)?;
    let grant = state
        .gateway
        .revoke_grant(&id, &operator.name)
        .await
        .map_err(map_err)?;
    Ok(Json(json!({"grant": grant})))
}

fn approver(operator: &Operator) -> Approver {
    Approver {
        name: operator.name.clone(),
        admin: operator.role >= Role::Admin,
        groups: operator.groups.clone(),
    }
}

fn check_reason(reason: Option<&str>) -> Result<(), ApiError> {
    if reason.is_some_and(|r| r.len() > MAX_REASON) {
        return Err(ApiError::BadRequest(format!(
            "reason is longer than {MAX_REASON} characters"
        )));
    }
    Ok(())
}

async fn get(state: &ControlState, id: &str) -> Result<ApprovalRecord, ApiError> {
    state
        .gateway
        .store
        .get_approval(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval `{id}`")))
}

/// The approval as operators see it: edited arguments redacted like the
/// original ones.
fn view(state: &ControlState, record: &ApprovalRecord) -> Value {
    let mut value = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Some(obj) = value.as_object_mut() {
        let edited = record
            .edited_arguments
            .as_ref()
            .map(|a| redact_arguments(a, &state.gateway.settings.redaction));
        obj.insert("edited_arguments".into(), json!(edited));
        for key in ["risk", "scan", "workflow"] {
            obj.insert(
                key.into(),
                record.context.get(key).cloned().unwrap_or(Value::Null),
            );
        }
        obj.insert("approvals_count".into(), json!(record.approvals()));
    }
    value
}

/// Evaluate policy on the edited call. `Some(reasons)` when it denies.
async fn policy_on_edit(
    state: &ControlState,
    record: &ApprovalRecord,
    arguments: &Value,
) -> Result<Option<String>, ApiError> {
    let agent = state
        .gateway
        .store
        .get_agent_by_id(&record.agent_id.0)
        .await?
        .ok_or_else(|| ApiError::Conflict("the requesting agent no longer exists".into()))?;
    if agent.is_revoked() {
        return Ok(Some("the requesting agent has been revoked".into()));
    }
    let input = PolicyInput::new(
        agent.identity(),
        ToolCall {
            method: record.method,
            upstream: record.upstream.clone(),
            tool: record.tool.clone(),
            arguments: arguments.clone(),
        },
        OffsetDateTime::now_utc(),
        RequestMeta {
            era: "approval-edit".into(),
            ..RequestMeta::default()
        },
    );
    let guards = Guards {
        kill_switch: state
            .gateway
            .controls
            .kill_guard(&behavry_core::KillSubject {
                agent_name: &record.agent_name,
                upstream: &record.upstream,
                tool: &record.tool,
                workflow: None,
            }),
    };
    let policy = state.gateway.policy.current();
    let mut evaluator = policy.evaluator();
    let id = behavry_core::DecisionId(uuid::Uuid::now_v7().to_string());
    let decision = decide(id, &input, &guards, &mut evaluator);
    Ok((decision.verdict == Verdict::Deny).then(|| {
        decision
            .reasons
            .iter()
            .map(|r| r.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    }))
}

pub(crate) fn map_err(e: ApprovalError) -> ApiError {
    match e {
        ApprovalError::Store(s) => ApiError::from(s),
        ApprovalError::NotAllowed(why) => ApiError::Forbidden(why),
        ApprovalError::Trace(s) => {
            tracing::error!(error = %s, "approval action recorded but trace write failed");
            ApiError::Unavailable("the action was recorded but the trace write failed".into())
        }
    }
}
