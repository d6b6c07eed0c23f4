//! Starting a workflow: the requested scope is clamped to the starting
//! agent's ceiling, the root token minted, the workflow recorded.
//!
//! The ceiling is what policy lets the agent do on its own: the tools it
//! would be shown in `tools/list` (an upstream all of whose tools it may
//! call becomes `upstream.*`, which also covers that upstream's resources
//! and prompts), every resource (each call is still decided by policy),
//! and the `write` / `outbound` flags when any of those tools writes or
//! sends out. An upstream that cannot be listed contributes nothing.

use super::WorkflowStage;
use crate::context::CallCtx;
use crate::lists::all_tool_names;
use crate::state::Gateway;
use crate::visibility::visible_with;
use behavry_core::AgentIdentity;
use behavry_core::CallKind;
use behavry_store::WorkflowRecord;
use behavry_workflow::{
    AgentRef, Flag, MintError, RootToken, Scope, StartError, StartSpec, WorkflowId,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// Why a workflow was not started.
#[derive(Debug, thiserror::Error)]
pub enum StartFailure {
    #[error("this gateway does not accept workflows ([workflows] enabled = false)")]
    Disabled,
    #[error("the agent's name cannot appear in a delegation chain")]
    AgentName,
    #[error(transparent)]
    Request(#[from] StartError),
    #[error(transparent)]
    Mint(#[from] MintError),
    #[error("the workflow could not be recorded: {0}")]
    Store(String),
}

impl StartFailure {
    pub fn code(&self) -> &'static str {
        match self {
            StartFailure::Disabled => "workflow_disabled",
            StartFailure::Store(_) => "workflow_store_unavailable",
            StartFailure::Mint(MintError::Key(_) | MintError::Token(_)) => "workflow_mint_failed",
            _ => "workflow_start_invalid",
        }
    }

    /// A failure of the request (HTTP 400) rather than of the gateway.
    pub fn is_client_error(&self) -> bool {
        self.code() == "workflow_start_invalid"
    }
}

/// Start a workflow for `agent`.
pub async fn start_workflow(
    gw: &Arc<Gateway>,
    agent: &Arc<AgentIdentity>,
    spec: StartSpec,
    now: OffsetDateTime,
) -> Result<RootToken, StartFailure> {
    let stage = gw
        .settings
        .workflows
        .as_deref()
        .ok_or(StartFailure::Disabled)?;
    let starter = AgentRef::parse(&agent.name).map_err(|_| StartFailure::AgentName)?;
    let ceiling = ceiling(gw, agent, stage, &spec.scope).await;
    let request = spec.into_request(
        WorkflowId::generate(),
        starter,
        ceiling,
        now,
        &stage.start_policy,
    )?;
    let root = stage.authority().mint(&request, now)?;
    let record = WorkflowRecord {
        id: root.workflow.as_str().to_string(),
        purpose: request.purpose.trim().to_string(),
        started_by: agent.name.clone(),
        scope: serde_json::to_value(&root.scope).unwrap_or(Value::Null),
        budgets: serde_json::to_value(request.budgets).unwrap_or(Value::Null),
        max_depth: request.max_depth,
        root_revocation_id: root.revocation_id.as_str().to_string(),
        created_at: now,
        expires_at: request.expires,
    };
    gw.store
        .create_workflow(&record)
        .await
        .map_err(|e| StartFailure::Store(e.to_string()))?;
    tracing::info!(workflow = %record.id, agent = %agent.name, clamped = root.clamped, "workflow started");
    Ok(root)
}

async fn ceiling(
    gw: &Arc<Gateway>,
    agent: &Arc<AgentIdentity>,
    stage: &WorkflowStage,
    requested: &Scope,
) -> Scope {
    let ctx = CallCtx::internal(gw.clone(), agent.clone());
    let (all, complete) = all_tool_names(&ctx).await;
    let policy = gw.policy.current();
    let mut evaluator = policy.evaluator();
    let mut visible = |upstream: &str, tool: &str| {
        visible_with(&ctx, &mut evaluator, CallKind::ToolsCall, upstream, tool)
    };
    let patterns: Vec<String> = serde_json::to_value(requested)
        .ok()
        .and_then(|v| v.get("tools").cloned())
        .and_then(|t| serde_json::from_value(t).ok())
        .unwrap_or_default();
    let mut tools = BTreeSet::new();
    let mut granted_names = Vec::new();
    for pattern in &patterns {
        match pattern.strip_suffix('*') {
            None => {
                if let Some((upstream, tool)) = behavry_protocol::split_qualified(pattern) {
                    if visible(upstream, tool) {
                        tools.insert(pattern.clone());
                        granted_names.push(pattern.clone());
                    }
                }
            }
            Some(prefix) => {
                let matching: Vec<&(String, String)> = all
                    .iter()
                    .filter(|(u, t)| format!("{u}.{t}").starts_with(prefix))
                    .collect();
                let allowed: Vec<String> = matching
                    .iter()
                    .filter(|(u, t)| visible(u, t))
                    .map(|(u, t)| format!("{u}.{t}"))
                    .collect();
                if complete && !matching.is_empty() && allowed.len() == matching.len() {
                    tools.insert(pattern.clone());
                } else {
                    tools.extend(allowed.iter().cloned());
                }
                granted_names.extend(allowed);
            }
        }
    }
    let mut flags = Vec::new();
    if granted_names
        .iter()
        .any(|n| super::call_matches(&stage.settings.write_tools, n))
    {
        flags.push(Flag::Write.as_str().to_string());
    }
    if granted_names
        .iter()
        .any(|n| super::call_matches(&stage.outbound_tools, n))
    {
        flags.push(Flag::Outbound.as_str().to_string());
    }
    let tools: Vec<String> = tools.into_iter().collect();
    Scope::parse(&tools, &["*".to_string()], &flags).unwrap_or_else(|e| {
        tracing::warn!(agent = %agent.name, error = %e, "workflow ceiling too large; granting nothing");
        Scope::empty()
    })
}
