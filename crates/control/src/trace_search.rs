//! `GET /v1/trace/search`: decisions matching a [`TraceFilter`], newest
//! first, paged with `before` (a sequence number). The search reads the
//! trace backwards in windows and stops after `SCAN_LIMIT` events per
//! request; `next_before` continues where it stopped, so a rare match deep
//! in a long trace is reached by following pages.

use crate::error::ApiError;
use crate::trace_filter::TraceFilter;
use crate::ControlState;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

const WINDOW: u64 = 500;
const SCAN_LIMIT: u64 = 20_000;

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// Only events with a smaller sequence number (default: from the end).
    pub before: Option<u64>,
    pub limit: Option<u32>,
    #[serde(flatten)]
    pub filter: TraceFilter,
}

pub async fn search(
    State(state): State<Arc<ControlState>>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    if let Some(v) = q.filter.verdict.as_deref().filter(|v| !v.is_empty()) {
        if !matches!(v, "allow" | "deny" | "intercept") {
            return Err(ApiError::BadRequest(format!(
                "verdict must be allow, deny or intercept (got `{v}`)"
            )));
        }
    }
    let limit = u64::from(q.limit.unwrap_or(50).clamp(1, 500));
    let store = &state.gateway.store;
    let latest = store.latest_trace_seq().await?.unwrap_or(0);
    // `upper` is the highest sequence number still to read.
    let mut upper = match q.before {
        Some(b) => b.saturating_sub(1).min(latest),
        None => latest,
    };
    let mut found = Vec::new();
    let mut scanned = 0u64;
    let mut next_before = None;
    'scan: while upper >= 1 {
        if scanned >= SCAN_LIMIT {
            next_before = Some(upper + 1);
            break;
        }
        let lower = upper.saturating_sub(WINDOW - 1).max(1);
        let window = store
            .tail_trace(
                Some(lower - 1),
                u32::try_from(upper - lower + 1).unwrap_or(1),
            )
            .await?;
        scanned += upper - lower + 1;
        for (seq, event) in window.into_iter().rev() {
            if q.filter.matches(&event) {
                found.push(json!({"seq": seq, "event": event}));
                if found.len() as u64 >= limit {
                    next_before = (seq > 1).then_some(seq);
                    break 'scan;
                }
            }
        }
        upper = lower - 1;
    }
    Ok(Json(json!({
        "events": found,
        "next_before": next_before,
        "scanned": scanned,
    })))
}
