//! `/v1/overview`: the figures the console's first page shows — decisions
//! by verdict since the process started, calls held, pending approvals,
//! agents, the policy and the store.

use crate::error::ApiError;
use crate::ControlState;
use axum::extract::State;
use axum::Json;
use behavry_store::ApprovalStatus;
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub async fn show(State(state): State<Arc<ControlState>>) -> Result<Json<Value>, ApiError> {
    let gw = &state.gateway;
    let agents = gw.store.list_agents().await?;
    let active = agents.iter().filter(|a| !a.is_revoked()).count();
    let pending = gw
        .store
        .list_approvals(Some(ApprovalStatus::Pending), 1000)
        .await?
        .len();
    let store_ok = gw.store.ping().await.is_ok();
    Ok(Json(json!({
        "decisions_since_start": decisions_by_verdict(&gw.metrics.encode()),
        "calls_held": gw.approvals.waiting(),
        "approvals_pending": pending,
        "agents": {"total": agents.len(), "active": active},
        "sessions": gw.sessions.len(),
        "policy": gw.policy.status(),
        "trace_latest_seq": gw.store.latest_trace_seq().await?,
        "store": if store_ok { "ok" } else { "unavailable" },
    })))
}

/// Sum `behavry_decisions_total{verdict="...",agent=...,tool=...} N` per
/// verdict from the metrics text.
fn decisions_by_verdict(metrics: &str) -> Value {
    let mut totals = [("allow", 0u64), ("deny", 0), ("intercept", 0)];
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("behavry_decisions_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once('}') else {
            continue;
        };
        let Ok(n) = value.trim().parse::<f64>() else {
            continue;
        };
        for (verdict, total) in totals.iter_mut() {
            if labels
                .split(',')
                .any(|l| l == format!("verdict=\"{verdict}\""))
            {
                *total += n as u64;
            }
        }
    }
    Value::Object(
        totals
            .into_iter()
            .map(|(v, n)| (v.to_string(), Value::from(n)))
            .collect::<Map<String, Value>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_decision_counters() {
        let text = "# TYPE behavry_decisions counter\n\
                    behavry_decisions_total{verdict=\"allow\",agent=\"a\",tool=\"db.q\"} 5\n\
                    behavry_decisions_total{verdict=\"allow\",agent=\"b\",tool=\"db.q\"} 2\n\
                    behavry_decisions_total{verdict=\"deny\",agent=\"a\",tool=\"unknown\"} 2\n\
                    behavry_other_total 9\n";
        assert_eq!(
            decisions_by_verdict(text),
            json!({"allow": 7, "deny": 2, "intercept": 0})
        );
    }
}
