//! One call's passage through the workflow checks.
//!
//! - `before_decision`: read the carriers (header, `_meta`), verify the
//!   token for the presenting agent, check the call against the effective
//!   scope and the causal depth, evaluate the flow rule against the
//!   workflow's sensitive reads, and build `input.workflow`.
//! - `after_decision`: for a call not denied, apply the flow rule (deny,
//!   or hold an allowed call for approval) and charge the shared ledger,
//!   all or nothing; a refusal turns the decision into a deny. A start
//!   request mints the workflow's root token here.
//! - `prepare_forward`: the token never reaches an upstream; the upstream
//!   receives Behavry's span as its `traceparent`.
//! - `after_result`: charge what the call read and remember a sensitive
//!   read; hand the agent the decision's trace context (and a new
//!   workflow's token).
//!
//! Every failure denies with a reason that starts with its stable code.

use super::ledger;
use super::lineage::LineageEntry;
use super::start::start_workflow;
use super::WorkflowStage;
use crate::context::CallCtx;
use behavry_core::{CallKind, Decision, PolicyInput, Reason, Verdict};
use behavry_workflow::{
    causal_depth, check_causal_depth, check_claimed_id, extract, extract_traceparent, inspect,
    prepare_upstream_meta, started_meta, AgentRef, CallTarget, ChainInfo, Charge, Counts,
    FlowAlert, FlowMode, ParentDecision, RootToken, SensitiveRead, StartSpec, TraceParent,
    VerifiedChain, WorkflowBudget, WorkflowContext, WorkflowDenial, WorkflowRequest, META_KEY,
    TRACEPARENT,
};
use serde_json::{json, Value};

/// The workflow headers of a request (`Behavry-Workflow-Token`,
/// `Behavry-Workflow-Id`, `traceparent`).
#[derive(Debug, Clone, Default)]
pub(crate) struct WorkflowHeaders {
    pub token: Option<String>,
    pub id: Option<String>,
    pub traceparent: Option<String>,
    /// A workflow header was present but not visible ASCII: the call is
    /// denied as malformed rather than treated as outside any workflow.
    pub unreadable: bool,
}

impl WorkflowHeaders {
    pub(crate) fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let mut unreadable = false;
        let mut get = |name: &str, strict: bool| match headers.get(name) {
            None => None,
            Some(v) => match v.to_str() {
                Ok(text) => Some(text.to_string()),
                Err(_) => {
                    unreadable |= strict;
                    None
                }
            },
        };
        let token = get(behavry_workflow::TOKEN_HEADER, true);
        let id = get(behavry_workflow::WORKFLOW_ID_HEADER, true);
        // An unreadable traceparent is ignored like an invalid one.
        let traceparent = get(TRACEPARENT, false);
        WorkflowHeaders {
            token,
            id,
            traceparent,
            unreadable,
        }
    }
}

/// A verified call inside a workflow.
#[derive(Debug, Clone)]
pub struct WorkflowCall {
    pub chain: VerifiedChain,
    pub presenter: AgentRef,
    pub budget: WorkflowBudget,
    pub resource: Option<String>,
    pub write: bool,
    pub outbound: bool,
    pub sensitive: bool,
    pub depth: u32,
    pub parent_decision: Option<String>,
    pub flow_alert: Option<FlowAlert>,
}

/// What the workflow stage knows of one call.
#[derive(Debug, Default)]
pub(crate) struct WorkflowState {
    pub call: Option<Box<WorkflowCall>>,
    /// A start request, until the decision mints it.
    pub start: Option<StartSpec>,
    /// The workflow this call started.
    pub started: Option<RootToken>,
    /// Behavry's span for this decision (child of the caller's trace, or a
    /// new trace), when the call carries trace context or a workflow.
    pub span: Option<TraceParent>,
}

impl WorkflowState {
    pub(crate) fn workflow_id(&self) -> Option<&str> {
        self.call.as_ref().map(|c| c.chain.workflow_id.as_str())
    }
}

fn deny(code: &str, message: impl std::fmt::Display) -> Reason {
    Reason::guard(format!("{code}: {message}"))
}

fn now_secs(input: &PolicyInput) -> u64 {
    u64::try_from(input.time.unix).unwrap_or(0)
}

pub(crate) async fn before_decision(
    ctx: &CallCtx,
    input: &mut PolicyInput,
    state: &mut WorkflowState,
) -> Result<(), Reason> {
    let headers = &ctx.workflow_headers;
    if headers.unreadable {
        return Err(deny(
            "workflow_token_malformed",
            "a workflow header is not visible ASCII",
        ));
    }
    let meta = input.request.meta.clone();
    let request = extract(
        headers.token.as_deref(),
        headers.id.as_deref(),
        meta.as_ref(),
    )
    .map_err(|e| {
        let denial = e.into_denial();
        deny(denial.code(), denial)
    })?;
    // Policy never sees token material.
    if let Some(meta) = input.request.meta.as_mut().and_then(Value::as_object_mut) {
        if let Some(entry) = meta.get_mut(META_KEY).and_then(Value::as_object_mut) {
            entry.remove("token");
        }
    }
    // An invalid traceparent is ignored: a new trace starts.
    let incoming = extract_traceparent(headers.traceparent.as_deref(), meta.as_ref())
        .ok()
        .flatten();
    let Some(stage) = ctx.gw.settings.workflows.as_deref() else {
        if request.is_some() {
            return Err(deny(
                "workflow_disabled",
                "this gateway does not accept workflow tokens ([workflows] enabled = false)",
            ));
        }
        state.span = incoming.map(|t| t.child_random());
        return Ok(());
    };
    match request {
        None if stage.settings.require_token => Err(deny(
            "workflow_token_required",
            "every call must carry a workflow token on this gateway",
        )),
        None => {
            state.span = incoming.map(|t| t.child_random());
            Ok(())
        }
        Some(WorkflowRequest::Start(spec)) => {
            state.start = Some(spec);
            state.span = Some(incoming.map_or_else(TraceParent::new_root, |t| t.child_random()));
            Ok(())
        }
        Some(WorkflowRequest::Present(carrier)) => {
            let presenter = AgentRef::parse(&ctx.agent.name).map_err(|_| {
                deny(
                    "workflow_not_delegatee",
                    "the agent's name cannot appear in a delegation chain",
                )
            })?;
            let revocations = stage.revocations_snapshot();
            let chain = stage
                .verifier()
                .verify(
                    &carrier.token,
                    presenter.as_str(),
                    ctx.gw.clock.now(),
                    &*revocations,
                )
                .map_err(|d| {
                    // A genuine token refused for who presents it, when, or
                    // after revocation: record which workflow it belongs to.
                    if !matches!(
                        d,
                        WorkflowDenial::Malformed(_) | WorkflowDenial::BadSignature
                    ) {
                        if let Ok(info) = inspect(&carrier.token, stage.authority().public_key()) {
                            input.workflow = Some(chain_value(&info));
                        }
                    }
                    deny(d.code(), d)
                })?;
            check_claimed_id(&carrier, &chain).map_err(|d| deny(d.code(), d))?;
            // From here on the workflow is known: a denial is recorded
            // with it, so attacks on a workflow show in its trace.
            input.workflow = Some(chain_value(&chain));
            let call = classify(stage, input, chain, presenter);
            let span = incoming.map_or_else(TraceParent::new_root, |t| t.child_random());
            let (call, stored) = check(ctx, stage, input, call, incoming.as_ref()).await?;
            input.workflow = Some(policy_value(ctx, &call, stored, &span, incoming.as_ref()));
            state.span = Some(span);
            state.call = Some(Box::new(call));
            Ok(())
        }
    }
}

/// What the trace records of a workflow call denied before its context was
/// built: the workflow and its delegation chain.
fn chain_value(chain: &ChainInfo) -> Value {
    json!({
        "id": chain.workflow_id.as_str(),
        "delegation_depth": chain.depth,
        "chain": chain.chain.iter().enumerate().map(|(hop, h)| json!({
            "agent_id": h.delegatee.as_str(), "hop": hop, "expires": h.expires,
        })).collect::<Vec<_>>(),
    })
}

fn classify(
    stage: &WorkflowStage,
    input: &PolicyInput,
    chain: VerifiedChain,
    presenter: AgentRef,
) -> WorkflowCall {
    let name = format!("{}.{}", input.call.upstream, input.call.tool);
    let resource = match input.call.method {
        CallKind::ResourcesRead => Some(input.call.tool.clone()),
        _ => crate::risk::resource_of(&input.call.arguments),
    };
    let budget = WorkflowBudget::of(&chain, stage.settings.max_agents);
    WorkflowCall {
        write: super::call_matches(&stage.settings.write_tools, &name),
        outbound: super::call_matches(&stage.outbound_tools, &name),
        sensitive: super::call_matches(&stage.sensitive_tools, &name),
        chain,
        presenter,
        budget,
        resource,
        depth: 0,
        parent_decision: None,
        flow_alert: None,
    }
}

async fn check(
    ctx: &CallCtx,
    stage: &WorkflowStage,
    input: &mut PolicyInput,
    mut call: WorkflowCall,
    incoming: Option<&TraceParent>,
) -> Result<(WorkflowCall, Option<ledger::StoredLedger>), Reason> {
    // Lineage first, so a denied call keeps its place in the workflow's tree.
    let workflow = call.chain.workflow_id.as_str().to_string();
    let parent = incoming.and_then(|t| stage.lineage.parent(&t.parent_id_hex(), &workflow));
    call.depth = causal_depth(
        call.chain.depth,
        &call.presenter,
        parent.as_ref().map(|p| &p.parent),
    );
    call.parent_decision = parent.map(|p| p.decision_id);
    if let Some(obj) = input.workflow.as_mut().and_then(Value::as_object_mut) {
        obj.insert("depth".into(), json!(call.depth));
        obj.insert("parent_decision".into(), json!(call.parent_decision));
    }
    let name = format!("{}.{}", input.call.upstream, input.call.tool);
    call.chain
        .check_call(&CallTarget {
            tool: &name,
            resource: call.resource.as_deref(),
            write: call.write,
            outbound: call.outbound,
        })
        .map_err(|d| deny(d.code(), d))?;
    check_causal_depth(
        call.depth,
        stage.settings.max_depth.min(call.chain.max_depth),
    )
    .map_err(|d| deny(d.code(), d))?;
    // One read of the shared ledger serves the flow rule and `input.workflow`.
    let stored = ledger::snapshot(&ctx.gw.store, &call.chain.workflow_id)
        .await
        .map_err(|e| deny(e.code(), e))?;
    if call.outbound {
        let reads = stored.as_ref().map_or(&[][..], |s| &s.reads[..]);
        call.flow_alert = stage.flow.evaluate(reads, &call.presenter, now_secs(input));
    }
    Ok((call, stored))
}

fn policy_value(
    ctx: &CallCtx,
    call: &WorkflowCall,
    stored: Option<ledger::StoredLedger>,
    span: &TraceParent,
    incoming: Option<&TraceParent>,
) -> Value {
    let (budgets, reads) = match stored {
        Some(s) => (Some(s.ledger.budgets.state()), s.reads),
        None => (None, Vec::new()),
    };
    let roles = call
        .chain
        .chain
        .iter()
        .map(|hop| ctx.gw.agents.role_of(hop.delegatee.as_str()))
        .collect();
    let stage_max = ctx
        .gw
        .settings
        .workflows
        .as_deref()
        .map_or(call.chain.max_depth, |s| s.settings.max_depth);
    let context = WorkflowContext {
        chain: &call.chain,
        roles,
        depth: call.depth,
        max_depth: stage_max.min(call.chain.max_depth),
        budgets,
        sensitive_reads: reads,
        flow_alert: call.flow_alert.clone(),
        trace: Some(*span),
    };
    let mut value = context.to_policy_value();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("span_id".into(), json!(span.parent_id_hex()));
        obj.insert(
            "parent_span_id".into(),
            json!(incoming.map(TraceParent::parent_id_hex)),
        );
        obj.insert("parent_decision".into(), json!(call.parent_decision));
    }
    value
}

/// After the decision: the flow rule, the shared budgets, a start request.
pub(crate) async fn after_decision(
    ctx: &CallCtx,
    decision: &mut Decision,
    input: &mut PolicyInput,
    state: &mut WorkflowState,
) {
    if decision.verdict == Verdict::Deny {
        return;
    }
    if let Some(spec) = state.start.take() {
        if decision.verdict == Verdict::Allow {
            match start_workflow(&ctx.gw, &ctx.agent, spec, ctx.gw.clock.now()).await {
                Ok(root) => state.started = Some(root),
                Err(e) => deny_decision(decision, deny(e.code(), &e)),
            }
        } else {
            deny_decision(
                decision,
                deny(
                    "workflow_start_refused",
                    "a workflow can only be started by a call that is allowed outright",
                ),
            );
        }
        return;
    }
    let Some(call) = state.call.as_deref() else {
        return;
    };
    if let Some(alert) = &call.flow_alert {
        let reason = deny(alert.code(), flow_message(alert));
        match alert.mode {
            FlowMode::Deny => return deny_decision(decision, reason),
            FlowMode::Intercept if decision.verdict == Verdict::Allow => {
                decision.verdict = Verdict::Intercept;
                decision.reasons.push(reason);
            }
            _ => {}
        }
    }
    let charge = Charge {
        amounts: Counts {
            calls: 1,
            writes: u64::from(call.write),
            emails_sent: u64::from(call.outbound),
            ..Counts::default()
        },
        resource: call.resource.clone(),
        needs_read_budget: !call.write && !call.outbound,
    };
    match ledger::admit(&ctx.gw.store, &call.budget, &call.chain.chain, &charge).await {
        Ok(budgets) => {
            if let Some(obj) = input.workflow.as_mut().and_then(Value::as_object_mut) {
                obj.insert("budgets".into(), budgets.to_policy_value());
            }
            if let (Some(span), Some(stage)) = (&state.span, ctx.gw.settings.workflows.as_deref()) {
                stage.lineage.insert(
                    span.parent_id_hex(),
                    LineageEntry {
                        decision_id: decision.id.0.clone(),
                        workflow: call.chain.workflow_id.as_str().to_string(),
                        parent: ParentDecision {
                            depth: call.depth,
                            agent: call.presenter.clone(),
                        },
                    },
                );
            }
        }
        Err(e) => deny_decision(decision, deny(e.code(), e)),
    }
}

fn flow_message(alert: &FlowAlert) -> String {
    let who = if alert.cross_agent {
        format!("agent `{}`", alert.read.agent.as_str())
    } else {
        "this agent".to_string()
    };
    format!(
        "outbound send after {who} read sensitive data ({} from {}) in this workflow",
        alert.read.label, alert.read.resource
    )
}

fn deny_decision(decision: &mut Decision, reason: Reason) {
    decision.verdict = Verdict::Deny;
    decision.reasons.insert(0, reason);
}

/// Strip the workflow entry from `_meta` and hand the upstream Behavry's span.
pub(crate) fn prepare_forward(state: &WorkflowState, params: &mut Value) {
    let Some(obj) = params.as_object_mut() else {
        return;
    };
    match &state.span {
        Some(span) => {
            let meta = obj.entry("_meta").or_insert_with(|| json!({}));
            prepare_upstream_meta(meta, span);
        }
        None => {
            if let Some(meta) = obj.get_mut("_meta").and_then(Value::as_object_mut) {
                meta.remove(META_KEY);
            }
        }
    }
    if obj
        .get("_meta")
        .and_then(Value::as_object)
        .is_some_and(|m| m.is_empty())
    {
        obj.remove("_meta");
    }
}

/// After a successful result: charge what was read, remember a sensitive
/// read, and tell the agent its trace context (and a new workflow's
/// token). `Err` withholds the result (the ledger could not be charged).
pub(crate) async fn after_result(
    ctx: &CallCtx,
    input: &PolicyInput,
    state: &WorkflowState,
    decision_id: &str,
    scan_flagged: Option<&str>,
    mut result: Value,
) -> Result<Value, String> {
    if let Some(call) = state.call.as_deref() {
        // Only reads are charged to the read budgets.
        let reads = !call.write && !call.outbound;
        let bytes = if reads {
            serde_json::to_vec(&result).map_or(0, |v| v.len() as u64)
        } else {
            0
        };
        let rows = result
            .get("structuredContent")
            .and_then(|s| s.get("row_count"))
            .and_then(Value::as_u64)
            .filter(|_| reads)
            .unwrap_or(0);
        let usage = Charge {
            amounts: Counts {
                rows_read: rows,
                bytes_read: bytes,
                ..Counts::default()
            },
            ..Charge::default()
        };
        let label = scan_flagged.or(call.sensitive.then_some("sensitive"));
        let read = label.map(|label| SensitiveRead {
            agent: call.presenter.clone(),
            resource: call
                .resource
                .clone()
                .unwrap_or_else(|| format!("{}.{}", input.call.upstream, input.call.tool)),
            label: label.to_string(),
            at: now_secs(input),
            decision_id: Some(decision_id.to_string()),
        });
        ledger::record(&ctx.gw.store, &call.budget, &usage, read.as_ref())
            .await
            .map_err(|e| {
                format!(
                    "The tool result was withheld by Behavry: the workflow's usage could not be recorded ({}: {e}).",
                    e.code()
                )
            })?;
    }
    if state.span.is_none() && state.started.is_none() {
        return Ok(result);
    }
    if let Some(obj) = result.as_object_mut() {
        let meta = obj.entry("_meta").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            let mut entry = match &state.started {
                Some(root) => started_meta(root),
                None => json!({}),
            };
            if let Some(e) = entry.as_object_mut() {
                if let Some(call) = state.call.as_deref() {
                    e.insert("id".into(), json!(call.chain.workflow_id.as_str()));
                }
                e.insert("decision_id".into(), json!(decision_id));
                if let Some(span) = &state.span {
                    e.insert("traceparent".into(), json!(span.to_string()));
                }
            }
            meta.insert(META_KEY.into(), entry);
        }
    }
    Ok(result)
}
