//! Operator controls the call path consults: engaged kill switches and
//! scoped grants. Both are snapshots swapped whole (like the policy and the
//! agent directory), so a call reads them without waiting on the store.
//!
//! Invariants:
//! - Engaging a kill switch swaps the snapshot before it returns: the very
//!   next call is checked against it. It then rejects every pending
//!   approval it covers, which releases the calls held on them.
//! - A grant only ever turns an `Intercept` into an allow for the same
//!   agent and tool, and only while it is unexpired; it never overrides a
//!   deny.

use crate::approvals::ApprovalError;
use crate::coordination::Event;
use crate::notify::NotifyEvent;
use crate::state::Gateway;
use arc_swap::ArcSwap;
use behavry_core::{
    kill_guard, AgentId, DecisionId, KillSubject, KillSwitch, TraceEvent, TraceEventKind,
};
use behavry_store::{ApprovalStatus, Grant, KillRecord, NewGrant, NewKill, StoreError};
use regex::Regex;
use serde_json::json;
use std::sync::Arc;
use time::OffsetDateTime;

/// Largest compiled size of a grant's argument pattern.
const PATTERN_SIZE_LIMIT: usize = 1 << 16;

struct CompiledGrant {
    grant: Grant,
    pattern: Option<Regex>,
}

#[derive(Default)]
pub struct Controls {
    kills: ArcSwap<Vec<KillSwitch>>,
    grants: ArcSwap<Vec<CompiledGrant>>,
}

/// What engaging a kill switch did.
#[derive(Debug, Clone)]
pub struct KillOutcome {
    pub record: KillRecord,
    pub rejected_approvals: usize,
    pub aborted_calls: usize,
}

/// Compile a grant's argument pattern (a regex matched anywhere in the
/// canonical JSON of the arguments).
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("argument pattern is not a valid regex: {e}"))
}

impl Controls {
    pub fn kill_guard(&self, subject: &KillSubject<'_>) -> Option<String> {
        kill_guard(&self.kills.load(), subject)
    }

    pub fn kills(&self) -> Vec<KillSwitch> {
        self.kills.load().as_ref().clone()
    }

    /// The first active grant covering this call.
    pub fn grant_for(
        &self,
        agent: &AgentId,
        upstream: &str,
        tool: &str,
        canonical_arguments: &str,
        now: OffsetDateTime,
    ) -> Option<Grant> {
        self.grants
            .load()
            .iter()
            .find(|g| {
                g.grant.agent_id == *agent
                    && g.grant.upstream == upstream
                    && g.grant.tool == tool
                    && g.grant.expires_at > now
                    && g.pattern
                        .as_ref()
                        .is_none_or(|p| p.is_match(canonical_arguments))
            })
            .map(|g| g.grant.clone())
    }

    fn set_kills(&self, records: &[KillRecord]) {
        self.kills
            .store(Arc::new(records.iter().map(KillRecord::switch).collect()));
    }

    fn set_grants(&self, grants: Vec<Grant>) {
        let compiled = grants
            .into_iter()
            .filter_map(|grant| {
                let pattern = match grant.argument_pattern.as_deref().map(compile_pattern) {
                    None => None,
                    Some(Ok(p)) => Some(p),
                    Some(Err(e)) => {
                        // Fail closed: a grant whose pattern no longer compiles grants nothing.
                        tracing::error!(grant = %grant.id, error = %e, "ignoring grant with an invalid pattern");
                        return None;
                    }
                };
                Some(CompiledGrant { grant, pattern })
            })
            .collect();
        self.grants.store(Arc::new(compiled));
    }
}

impl Gateway {
    /// Re-read kill switches and grants from the store.
    pub async fn reload_controls(&self) -> Result<(), StoreError> {
        let kills = self.store.engaged_kills().await?;
        self.controls.set_kills(&kills);
        let grants = self.store.active_grants(OffsetDateTime::now_utc()).await?;
        self.controls.set_grants(grants);
        Ok(())
    }

    /// Engage a kill switch: in force for the next call, recorded in the
    /// trace, and every pending approval it covers is rejected (which
    /// aborts the calls held on them).
    pub async fn engage_kill(&self, kill: NewKill) -> Result<KillOutcome, ApprovalError> {
        let record = self.store.engage_kill(kill).await?;
        let mut engaged = self.store.engaged_kills().await?;
        if !engaged.iter().any(|k| k.id == record.id) {
            engaged.push(record.clone());
        }
        self.controls.set_kills(&engaged);
        self.coordination.announce(Event::Controls);
        self.record_operator_action(
            "kill_engaged",
            &record.engaged_by,
            Some(&record.reason),
            json!({
                "kill_switch_id": record.id, "scope": record.scope, "target": record.target,
            }),
        )
        .await?;
        self.approvals
            .notifier()
            .send(NotifyEvent::kill("kill.engaged", &record));

        let switch = record.switch();
        let held = self.approvals.held_ids();
        let mut rejected = 0;
        let mut aborted = 0;
        for approval in self
            .store
            .list_approvals(Some(ApprovalStatus::Pending), 10_000)
            .await?
        {
            let workflow = approval
                .context
                .get("workflow")
                .and_then(|w| w.get("id"))
                .and_then(|v| v.as_str());
            let subject = KillSubject {
                agent_name: &approval.agent_name,
                upstream: &approval.upstream,
                tool: &approval.tool,
                workflow,
            };
            if !switch.matches(&subject) {
                continue;
            }
            match self
                .approvals
                .reject(
                    &approval.id,
                    &record.engaged_by,
                    &format!("kill switch engaged: {}", record.reason),
                )
                .await
            {
                Ok(_) => {
                    rejected += 1;
                    if held.contains(&approval.id) {
                        aborted += 1;
                    }
                }
                Err(ApprovalError::Store(StoreError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(KillOutcome {
            record,
            rejected_approvals: rejected,
            aborted_calls: aborted,
        })
    }

    pub async fn release_kill(
        &self,
        id: &str,
        operator: &str,
    ) -> Result<KillRecord, ApprovalError> {
        let record = self.store.release_kill(id, operator).await?;
        let engaged = self.store.engaged_kills().await?;
        self.controls.set_kills(&engaged);
        self.coordination.announce(Event::Controls);
        self.record_operator_action(
            "kill_released",
            operator,
            None,
            json!({
                "kill_switch_id": record.id, "scope": record.scope, "target": record.target,
            }),
        )
        .await?;
        self.approvals
            .notifier()
            .send(NotifyEvent::kill("kill.released", &record));
        Ok(record)
    }

    pub async fn create_grant(&self, grant: NewGrant) -> Result<Grant, ApprovalError> {
        if let Some(p) = &grant.argument_pattern {
            compile_pattern(p).map_err(|e| ApprovalError::Store(StoreError::Invalid(e)))?;
        }
        let grant = self.store.create_grant(grant).await?;
        self.coordination.announce(Event::Controls);
        self.reload_controls().await?;
        Ok(grant)
    }

    pub async fn revoke_grant(&self, id: &str, operator: &str) -> Result<Grant, ApprovalError> {
        let grant = self.store.revoke_grant(id).await?;
        self.coordination.announce(Event::Controls);
        self.reload_controls().await?;
        self.record_operator_action("grant_revoked", operator, None, json!({
            "grant_id": grant.id, "agent": grant.agent_name, "upstream": grant.upstream, "tool": grant.tool,
        }))
        .await?;
        Ok(grant)
    }

    /// Append an operator action that is not about one call.
    pub async fn record_operator_action(
        &self,
        action: &str,
        operator: &str,
        reason: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<(), ApprovalError> {
        let event = TraceEvent {
            decision_id: DecisionId(uuid::Uuid::now_v7().to_string()),
            time: OffsetDateTime::now_utc(),
            event: TraceEventKind::Operator {
                action: action.to_string(),
                operator: operator.to_string(),
                reason: reason.map(str::to_string),
                detail,
            },
        };
        self.store
            .append_trace(&event)
            .await
            .map(|_| ())
            .map_err(ApprovalError::Trace)
    }
}
