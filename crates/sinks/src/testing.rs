//! Sample trace events for tests and benchmarks: a call's decision,
//! approval and outcome with realistic field sizes. Built from JSON so they
//! follow the event schema as serialized.

use behavry_core::TraceEvent;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The decision id of call `n` (a UUID, so it maps onto an OTel trace id).
pub fn decision_id(n: u64) -> String {
    format!("0190a1b2-c3d4-7e5f-8a9b-{n:012x}")
}

/// Event `i` of a stream of calls: each call is a decision followed by its
/// outcome; every fifth call is intercepted and approved in between, every
/// seventh is denied.
pub fn sample_event(i: u64) -> Result<TraceEvent, serde_json::Error> {
    let call = i / 2;
    let time = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "2026-11-26T10:00:00Z".to_string());
    let verdict = if call % 7 == 3 {
        "deny"
    } else if call % 5 == 4 {
        "intercept"
    } else {
        "allow"
    };
    let value = if i % 2 == 0 {
        json!({
            "decision_id": decision_id(call),
            "time": time,
            "kind": "decision",
            "agent": {
                "id": "7f1c2d4e-0000-4000-8000-00000000000a",
                "name": "analyst-1",
                "role": "analyst",
                "labels": {"team": "finance"},
            },
            "method": "tools/call",
            "upstream": "database",
            "tool": "query",
            "arguments": {"sql": "SELECT name, email FROM customers WHERE region = 'EU' LIMIT 50", "token": "[REDACTED]"},
            "verdict": verdict,
            "reasons": [{"source": "policy", "message": format!("rule analysts_read_only matched (call {call})")}],
            "policy_revision": "sha256:4b1d0c8e",
            "eval_micros": 41,
            "session_id": "s-2c5e",
        })
    } else if verdict == "deny" {
        json!({
            "decision_id": decision_id(call),
            "time": time,
            "kind": "outcome",
            "status": "blocked",
            "reason": "denied by policy",
        })
    } else {
        json!({
            "decision_id": decision_id(call),
            "time": time,
            "kind": "outcome",
            "status": "completed",
            "is_error": call % 11 == 0,
            "latency_ms": 12.5,
        })
    };
    serde_json::from_value(value)
}

/// An approval event for call `n`.
pub fn approval_event(n: u64, action: &str) -> Result<TraceEvent, serde_json::Error> {
    serde_json::from_value(json!({
        "decision_id": decision_id(n),
        "time": OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
        "kind": "approval",
        "approval_id": format!("ap-{n}"),
        "action": action,
        "operator": "alice",
        "reason": "looks fine",
    }))
}
