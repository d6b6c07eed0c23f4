//! What an `Intercept` verdict turns into before the decision is recorded:
//! a scoped grant lets it through; an identical request that is already
//! pending is joined rather than duplicated; a decided, uncollected
//! approval for the identical call (a retry after a restart or a dropped
//! connection) is collected; otherwise a new approval is opened, subject
//! to the per-agent flood limits.

use crate::approvals::Release;
use crate::context::CallCtx;
use behavry_core::{
    call_hash, canonical_json, rule_for, ApprovalRule, Decision, PolicyInput, Reason, Verdict,
};
use behavry_store::{ApprovalStatus, NewApproval};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::watch;

pub(crate) enum Plan {
    /// Wait on this approval (new or joined).
    Wait {
        approval_id: String,
        rx: watch::Receiver<Option<Release>>,
        expires_at: OffsetDateTime,
    },
    /// A decided approval for this exact call was collected.
    Decided {
        approval_id: String,
        release: Release,
    },
    /// No approval: the verdict was changed (to allow by a grant, or to
    /// deny by flood limits or a storage failure).
    None,
}

/// Settle an intercepted call. May change `decision` (grant → allow,
/// refusal → deny).
pub(crate) async fn plan(
    ctx: &CallCtx,
    decision: &mut Decision,
    input: &PolicyInput,
    redacted_arguments: &Value,
) -> Plan {
    let call = &input.call;
    let now = OffsetDateTime::now_utc();
    let canonical = canonical_json(&call.arguments);
    if let Some(grant) =
        ctx.gw
            .controls
            .grant_for(&input.agent.id, &call.upstream, &call.tool, &canonical, now)
    {
        decision.verdict = Verdict::Allow;
        decision.reasons.push(Reason::guard(format!(
            "pre-approved by grant {} from {} (until {})",
            grant.id,
            grant.created_by,
            grant.expires_at.unix_timestamp()
        )));
        return Plan::None;
    }
    let workflow = input
        .workflow
        .as_ref()
        .and_then(|w| w.get("id"))
        .and_then(Value::as_str);
    let hash = call_hash(
        &input.agent.id,
        &call.upstream,
        &call.tool,
        &call.arguments,
        workflow,
    );
    let since = now - ctx.gw.settings.retry_window;
    match ctx
        .gw
        .store
        .find_open_approval_for_call(&input.agent.id, &hash, since)
        .await
    {
        Ok(Some(existing)) if existing.status == ApprovalStatus::Pending => {
            decision.reasons.push(Reason::guard(format!(
                "identical request already waiting for approval {}",
                existing.id
            )));
            return Plan::Wait {
                rx: ctx.gw.approvals.attach(&existing.id),
                approval_id: existing.id,
                expires_at: existing.expires_at,
            };
        }
        Ok(Some(decided)) => match ctx.gw.store.collect_approval(&decided.id).await {
            Ok(record) => {
                decision.reasons.push(Reason::guard(format!(
                    "outcome of approval {} collected by a retried call",
                    record.id
                )));
                return Plan::Decided {
                    release: crate::approvals::release_of(&record),
                    approval_id: record.id,
                };
            }
            // Someone else collected it in the same instant: open anew.
            Err(e) => tracing::debug!(error = %e, "approval already collected"),
        },
        Ok(None) => {}
        Err(e) => return refuse(decision, format!("approval lookup failed: {e}")),
    }

    if !ctx
        .gw
        .approval_rate
        .try_take(&input.agent.id, Instant::now())
    {
        return refuse(
            decision,
            format!(
                "approval requests from this agent exceed {} per minute",
                ctx.gw.settings.approval_rate_per_minute
            ),
        );
    }
    match ctx.gw.store.count_pending_approvals(&input.agent.id).await {
        Ok(n) if n >= u64::from(ctx.gw.settings.max_pending_per_agent) => {
            return refuse(
                decision,
                format!("this agent already has {n} approval requests pending"),
            )
        }
        Ok(_) => {}
        Err(e) => return refuse(decision, format!("approval lookup failed: {e}")),
    }

    let rule = rule_for_call(ctx, &call.upstream, &call.tool);
    let approval = NewApproval {
        decision_id: decision.id.clone(),
        agent_id: input.agent.id.clone(),
        agent_name: input.agent.name.clone(),
        agent_owner: input.agent.owner.clone(),
        method: call.method,
        upstream: call.upstream.clone(),
        tool: call.tool.clone(),
        arguments: redacted_arguments.clone(),
        call_hash: hash,
        context: json!({"risk": input.risk, "scan": input.scan, "workflow": input.workflow}),
        reasons: decision.reasons.clone(),
        created_at: now,
        expires_at: now + Duration::from_secs(rule.timeout_secs),
        rule,
    };
    match ctx.gw.approvals.open(approval).await {
        Ok((record, rx)) => Plan::Wait {
            approval_id: record.id,
            rx,
            expires_at: record.expires_at,
        },
        Err(e) => {
            tracing::error!(error = %e, "could not open an approval; denying the call");
            refuse(decision, "approval could not be recorded".into())
        }
    }
}

fn rule_for_call(ctx: &CallCtx, upstream: &str, tool: &str) -> ApprovalRule {
    let fallback = ApprovalRule::fallback(ctx.gw.settings.approval_timeout.as_secs().max(1));
    let qualified = format!("{upstream}.{tool}");
    rule_for(&ctx.gw.settings.approval_rules, &fallback, &qualified).clone()
}

fn refuse(decision: &mut Decision, why: String) -> Plan {
    decision.verdict = Verdict::Deny;
    decision.reasons.push(Reason::guard(why));
    Plan::None
}
