//! Tool definition pinning: every tool definition an upstream lists is
//! pinned by its hash (`behavry_scan::pin::pin_hash`) the first time it is
//! seen. A definition that later differs from its pin, or a first
//! definition the scanner flags as poisoned, is withheld from `tools/list`
//! and calls to the tool are denied until an operator approves it. Each
//! hold and approval is an `Operator` event in the trace, with the diff.
//!
//! Invariants:
//! - Withheld is the default on doubt: a store error while checking a
//!   definition withholds it (lists) or denies the call.
//! - Only the approved hash makes a tool visible; a pending definition is
//!   never shown, even after a restart (the pin table is durable; the
//!   in-memory map is a cache of it).
//! - A call to a tool that was never listed is not held: nothing is known
//!   about its definition (documented in docs/scanning.md).

use crate::approvals::ApprovalError;
use crate::context::CallCtx;
use crate::state::Gateway;
use behavry_core::{CallKind, PolicyInput, Reason};
use behavry_scan::pin::{diff, pin_hash};
use behavry_scan::{Kind, ScanReport};
use behavry_store::{NewToolPin, StoreError, ToolPin};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use time::OffsetDateTime;

/// What is known about one upstream tool.
#[derive(Debug, Clone, PartialEq)]
struct Known {
    /// The approved hash; empty when nothing was ever approved.
    approved: String,
    /// The definition waiting for approval.
    pending: Option<String>,
    /// The hash of the last definition this process saw listed.
    last_seen: Option<String>,
}

impl Known {
    fn from_pin(pin: &ToolPin) -> Known {
        Known {
            approved: pin.hash.clone(),
            pending: pin.pending_hash.clone(),
            last_seen: None,
        }
    }

    /// Whether a call to the tool is held.
    fn call_held(&self) -> bool {
        match &self.last_seen {
            Some(h) => *h != self.approved,
            None => self.pending.is_some(),
        }
    }
}

/// Cache of the pin table: `None` records that the store has no pin.
#[derive(Debug, Default)]
pub(crate) struct ToolPins {
    known: Mutex<HashMap<(String, String), Option<Known>>>,
}

impl ToolPins {
    fn get(&self, upstream: &str, tool: &str) -> Option<Option<Known>> {
        let map = self.known.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(upstream.to_string(), tool.to_string())).cloned()
    }

    fn put(&self, upstream: &str, tool: &str, known: Option<Known>) {
        let mut map = self.known.lock().unwrap_or_else(|p| p.into_inner());
        map.insert((upstream.to_string(), tool.to_string()), known);
    }

    /// Drop one cached entry: the next use re-reads the store.
    pub(crate) fn forget(&self, upstream: &str, tool: &str) {
        let mut map = self.known.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&(upstream.to_string(), tool.to_string()));
    }

    /// Drop the whole cache (after coordination was lost).
    pub(crate) fn clear(&self) {
        let mut map = self.known.lock().unwrap_or_else(|p| p.into_inner());
        map.clear();
    }

    /// The fast path of a list: `Some(visible)` when the cache decides.
    fn visible_cached(&self, upstream: &str, tool: &str, hash: &str) -> Option<bool> {
        let mut map = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.get_mut(&(upstream.to_string(), tool.to_string()))?;
        let known = entry.as_mut()?;
        if known.approved == hash {
            known.last_seen = Some(hash.to_string());
            return Some(true);
        }
        if known.pending.as_deref() == Some(hash) {
            known.last_seen = Some(hash.to_string());
            return Some(false);
        }
        None
    }
}

/// Keep only the tools whose definitions are pinned (for `tools/list`).
pub(crate) async fn admit_tools(
    ctx: &CallCtx,
    upstreams: &[String],
    per_upstream: Vec<Vec<Value>>,
) -> Vec<Vec<Value>> {
    let mut out = Vec::with_capacity(per_upstream.len());
    for (upstream, items) in upstreams.iter().zip(per_upstream) {
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            let Some(tool) = item.get("name").and_then(Value::as_str) else {
                continue;
            };
            let tool = tool.to_string();
            if admit(&ctx.gw, upstream, &tool, &item).await {
                kept.push(item);
            }
        }
        out.push(kept);
    }
    out
}

/// Whether one listed definition may be shown; records holds.
async fn admit(gw: &Gateway, upstream: &str, tool: &str, definition: &Value) -> bool {
    let hash = pin_hash(definition);
    if let Some(visible) = gw.pins.visible_cached(upstream, tool, &hash) {
        return visible;
    }
    match observe(gw, upstream, tool, definition, &hash).await {
        Ok(visible) => visible,
        Err(e) => {
            tracing::error!(upstream, tool, error = %e, "could not check the tool definition pin; withholding the tool");
            false
        }
    }
}

/// The slow path: a definition the cache does not know.
async fn observe(
    gw: &Gateway,
    upstream: &str,
    tool: &str,
    definition: &Value,
    hash: &str,
) -> Result<bool, StoreError> {
    let pin = match gw.store.get_tool_pin(upstream, tool).await? {
        Some(pin) => pin,
        None => return first_sight(gw, upstream, tool, definition, hash).await,
    };
    let mut known = Known::from_pin(&pin);
    known.last_seen = Some(hash.to_string());
    if pin.hash == hash || pin.pending_hash.as_deref() == Some(hash) {
        let visible = pin.hash == hash;
        gw.pins.put(upstream, tool, Some(known));
        return Ok(visible);
    }
    let report = scan_definition(gw, definition);
    let mut reason = if pin.hash.is_empty() {
        "definition changed before it was approved".to_string()
    } else {
        "definition changed".to_string()
    };
    if let Some(flag) = poisoning_reason(report.as_ref()) {
        reason = format!("{reason}; {flag}");
    }
    let changed = gw
        .store
        .mark_tool_pin_changed(upstream, tool, hash, definition, &reason)
        .await?;
    known.pending = changed.pending_hash.clone();
    gw.pins.put(upstream, tool, Some(known));
    let changes = diff(&pin.definition, definition);
    tracing::warn!(upstream, tool, previous = %pin.hash, hash, changes = changes.len(), "tool definition changed; withheld until an operator approves it");
    record(
        gw,
        "tool_definition_changed",
        &reason,
        json!({
            "upstream": upstream, "tool": tool,
            "previous_hash": pin.hash, "hash": hash,
            "diff": changes,
            "findings": findings_summary(report.as_ref()),
        }),
    )
    .await;
    Ok(false)
}

async fn first_sight(
    gw: &Gateway,
    upstream: &str,
    tool: &str,
    definition: &Value,
    hash: &str,
) -> Result<bool, StoreError> {
    let report = scan_definition(gw, definition);
    let held = poisoning_reason(report.as_ref());
    let created = gw
        .store
        .create_tool_pin(NewToolPin {
            upstream: upstream.to_string(),
            tool: tool.to_string(),
            hash: hash.to_string(),
            definition: definition.clone(),
            held: held.clone(),
            seen_at: OffsetDateTime::now_utc(),
        })
        .await;
    let pin = match created {
        Ok(pin) => pin,
        // Another request pinned it first: decide against that pin.
        Err(StoreError::Conflict(_)) => {
            return Box::pin(observe(gw, upstream, tool, definition, hash)).await
        }
        Err(e) => return Err(e),
    };
    let mut known = Known::from_pin(&pin);
    known.last_seen = Some(hash.to_string());
    gw.pins.put(upstream, tool, Some(known));
    if let Some(reason) = held {
        tracing::warn!(upstream, tool, hash, %reason, "tool definition flagged; withheld until an operator approves it");
        record(
            gw,
            "tool_definition_flagged",
            &reason,
            json!({
                "upstream": upstream, "tool": tool, "hash": hash,
                "findings": findings_summary(report.as_ref()),
            }),
        )
        .await;
        return Ok(false);
    }
    Ok(true)
}

/// The definition's scan report and the poisoning confidence that holds it.
fn scan_definition(gw: &Gateway, definition: &Value) -> Option<(ScanReport, f32)> {
    gw.settings.scanning.as_ref().map(|s| {
        (
            s.scanner().scan_tool_definition(definition),
            s.thresholds().poisoning_hold_at,
        )
    })
}

fn poisoning_reason(scanned: Option<&(ScanReport, f32)>) -> Option<String> {
    let (report, hold_at) = scanned?;
    let mut rules: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.kind == Kind::ToolPoisoning && f.confidence >= *hold_at)
        .map(|f| f.rule.as_str())
        .collect();
    rules.sort_unstable();
    rules.dedup();
    (!rules.is_empty()).then(|| format!("tool_poisoning: {}", rules.join(", ")))
}

fn findings_summary(scanned: Option<&(ScanReport, f32)>) -> Value {
    let Some((report, _)) = scanned else {
        return Value::Null;
    };
    report
        .findings
        .iter()
        .map(|f| {
            json!({
                "kind": f.kind.as_str(), "rule": f.rule, "severity": f.severity.as_str(),
                "confidence": f.confidence, "path": f.path,
            })
        })
        .collect()
}

async fn record(gw: &Gateway, action: &str, reason: &str, detail: Value) {
    if let Err(e) = gw
        .record_operator_action(action, "system", Some(reason), detail)
        .await
    {
        tracing::error!(action, error = %e, "could not record the tool definition event");
    }
}

/// Deny a call to a tool whose current definition is not approved.
pub(crate) async fn check_call(ctx: &CallCtx, input: &PolicyInput) -> Result<(), Reason> {
    if input.call.method != CallKind::ToolsCall {
        return Ok(());
    }
    let (upstream, tool) = (&input.call.upstream, &input.call.tool);
    let known = match ctx.gw.pins.get(upstream, tool) {
        Some(known) => known,
        None => match ctx.gw.store.get_tool_pin(upstream, tool).await {
            Ok(pin) => {
                let known = pin.as_ref().map(Known::from_pin);
                ctx.gw.pins.put(upstream, tool, known.clone());
                known
            }
            Err(e) => {
                tracing::error!(upstream = %upstream, tool = %tool, error = %e, "could not read the tool pin; denying");
                return Err(Reason::guard(
                    "the tool definition pin could not be checked".to_string(),
                ));
            }
        },
    };
    match known {
        Some(k) if k.call_held() => Err(Reason::guard(format!(
            "the definition of {upstream}.{tool} changed or was flagged and awaits operator approval"
        ))),
        _ => Ok(()),
    }
}

impl Gateway {
    /// Approve the pending definition of a tool (optionally only if it is
    /// still `expected_hash`); recorded in the trace.
    pub async fn approve_tool_pin(
        &self,
        upstream: &str,
        tool: &str,
        operator: &str,
        expected_hash: Option<&str>,
    ) -> Result<ToolPin, ApprovalError> {
        let before = self.store.get_tool_pin(upstream, tool).await?;
        let pin = self
            .store
            .approve_tool_pin(upstream, tool, operator, expected_hash)
            .await?;
        self.coordination
            .announce(crate::coordination::Event::ToolPin {
                upstream: upstream.to_string(),
                tool: tool.to_string(),
            });
        let last_seen = self
            .pins
            .get(upstream, tool)
            .flatten()
            .and_then(|k| k.last_seen);
        self.pins.put(
            upstream,
            tool,
            Some(Known {
                approved: pin.hash.clone(),
                pending: None,
                last_seen,
            }),
        );
        self.record_operator_action(
            "tool_definition_approved",
            operator,
            None,
            json!({
                "upstream": upstream, "tool": tool, "hash": pin.hash,
                "previous_hash": before.map(|b| b.hash),
            }),
        )
        .await?;
        Ok(pin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_decides_only_known_hashes() {
        let pins = ToolPins::default();
        assert_eq!(pins.visible_cached("u", "t", "h1"), None);
        pins.put("u", "t", None);
        assert_eq!(
            pins.visible_cached("u", "t", "h1"),
            None,
            "no pin: slow path"
        );
        pins.put(
            "u",
            "t",
            Some(Known {
                approved: "h1".into(),
                pending: Some("h2".into()),
                last_seen: None,
            }),
        );
        assert_eq!(pins.visible_cached("u", "t", "h1"), Some(true));
        assert!(!pins.get("u", "t").flatten().unwrap().call_held());
        assert_eq!(pins.visible_cached("u", "t", "h2"), Some(false));
        assert!(pins.get("u", "t").flatten().unwrap().call_held());
        assert_eq!(
            pins.visible_cached("u", "t", "h3"),
            None,
            "new hash: slow path"
        );
    }

    #[test]
    fn calls_are_held_while_the_seen_definition_is_not_approved() {
        let k = |approved: &str, pending: Option<&str>, seen: Option<&str>| Known {
            approved: approved.into(),
            pending: pending.map(str::to_string),
            last_seen: seen.map(str::to_string),
        };
        assert!(!k("a", None, None).call_held());
        assert!(k("a", Some("b"), None).call_held(), "pending after restart");
        assert!(
            !k("a", Some("b"), Some("a")).call_held(),
            "upstream reverted"
        );
        assert!(
            k("", Some("p"), Some("p")).call_held(),
            "flagged first sight"
        );
        assert!(!k("b", None, Some("b")).call_held());
    }

    #[test]
    fn only_confident_poisoning_holds() {
        let mut r = ScanReport::new(behavry_scan::Channel::Description, "x");
        assert_eq!(poisoning_reason(Some(&(r.clone(), 0.8))), None);
        r.findings.push(
            behavry_scan::Finding::new(Kind::ToolPoisoning, "weak", "poisoning").confidence(0.6),
        );
        r.findings
            .push(behavry_scan::Finding::new(Kind::Injection, "x", "injection").confidence(0.99));
        assert_eq!(poisoning_reason(Some(&(r.clone(), 0.8))), None);
        r.findings.push(
            behavry_scan::Finding::new(Kind::ToolPoisoning, "hidden-content", "poisoning")
                .confidence(0.97),
        );
        assert_eq!(
            poisoning_reason(Some(&(r.clone(), 0.8))).as_deref(),
            Some("tool_poisoning: hidden-content")
        );
        assert_eq!(poisoning_reason(None), None);
    }
}
