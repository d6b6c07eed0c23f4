//! One trace record as every encoding sees it: the store's sequence number,
//! the event, and the facts the encodings share (identity for
//! de-duplication, severity, a one-line summary, OpenTelemetry ids).
//!
//! The record's native JSON form (`behavry.trace.v1`) is the event exactly
//! as the store holds it plus `seq`, `event_id` and `schema`. `event_id`
//! (`<decision_id>:<seq>`) is unique per event and stable across
//! re-deliveries, so receivers can de-duplicate at-least-once delivery;
//! `decision_id` groups the decision, approval and outcome of one call.

use behavry_core::{CallOutcome, TraceEvent, TraceEventKind, Verdict};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;

/// `(sequence number, event)` as returned by the store.
pub type Record = (u64, TraceEvent);

/// Name and version of the native record schema.
pub const SCHEMA: &str = "behavry.trace.v1";

/// Product name and version written into encodings that carry one.
pub const PRODUCT: &str = "Behavry";
pub const PRODUCT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trace record {seq} could not be encoded: {message}")]
pub struct EncodeError {
    pub seq: u64,
    pub message: String,
}

/// How serious an event is, mapped into each format's own scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Notice,
    Warning,
    Error,
}

impl Severity {
    /// RFC 5424 severity code.
    pub fn syslog(self) -> u8 {
        match self {
            Severity::Info => 6,
            Severity::Notice => 5,
            Severity::Warning => 4,
            Severity::Error => 3,
        }
    }
    /// OpenTelemetry `SeverityNumber`.
    pub fn otel_number(self) -> u8 {
        match self {
            Severity::Info => 9,
            Severity::Notice => 10,
            Severity::Warning => 13,
            Severity::Error => 17,
        }
    }
    pub fn otel_text(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Notice => "INFO2",
            Severity::Warning => "WARN",
            Severity::Error => "ERROR",
        }
    }
    /// CEF severity, 0-10.
    pub fn cef(self) -> u8 {
        match self {
            Severity::Info => 3,
            Severity::Notice => 5,
            Severity::Warning => 7,
            Severity::Error => 8,
        }
    }
    /// OCSF `severity_id` (1 informational, 2 low, 3 medium, 4 high).
    pub fn ocsf_id(self) -> u8 {
        match self {
            Severity::Info => 1,
            Severity::Notice => 2,
            Severity::Warning => 3,
            Severity::Error => 4,
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Facts shared by the encodings, computed once per record.
#[derive(Debug, Clone)]
pub struct View {
    pub seq: u64,
    pub event_id: String,
    pub decision_id: String,
    /// `decision`, `approval`, `outcome`, or the event's own kind word.
    pub kind: String,
    /// Short action word: the verdict, the approval action or the outcome status.
    pub action: String,
    pub severity: Severity,
    pub summary: String,
    pub time_rfc3339: String,
    pub unix_nanos: i128,
    /// The native JSON record.
    pub doc: Map<String, Value>,
}

impl View {
    pub fn new(seq: u64, event: &TraceEvent) -> Result<View, EncodeError> {
        let err = |message: String| EncodeError { seq, message };
        let mut doc = match serde_json::to_value(event) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(err("event is not a JSON object".into())),
            Err(e) => return Err(err(e.to_string())),
        };
        let decision_id = event.decision_id.0.clone();
        let event_id = format!("{decision_id}:{seq}");
        doc.insert("seq".into(), Value::from(seq));
        doc.insert("event_id".into(), Value::from(event_id.clone()));
        doc.insert("schema".into(), Value::from(SCHEMA));
        let kind = doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("event")
            .to_string();
        let (action, severity, summary) = describe(event, &kind, &doc);
        let time_rfc3339 = event
            .time
            .format(&Rfc3339)
            .map_err(|e| err(e.to_string()))?;
        Ok(View {
            seq,
            event_id,
            decision_id,
            kind,
            action,
            severity,
            summary,
            time_rfc3339,
            unix_nanos: event.time.unix_timestamp_nanos(),
            doc,
        })
    }

    pub fn unix_millis(&self) -> i128 {
        self.unix_nanos / 1_000_000
    }

    /// The native record as a JSON string.
    pub fn doc_json(&self) -> String {
        Value::Object(self.doc.clone()).to_string()
    }
}

fn describe(
    event: &TraceEvent,
    kind: &str,
    doc: &Map<String, Value>,
) -> (String, Severity, String) {
    match &event.event {
        TraceEventKind::Decision {
            agent,
            upstream,
            tool,
            verdict,
            reasons,
            ..
        } => {
            let severity = match verdict {
                Verdict::Allow => Severity::Info,
                Verdict::Intercept => Severity::Notice,
                Verdict::Deny => Severity::Warning,
            };
            let mut summary = format!(
                "{} {}.{} for agent {}",
                verdict.as_str(),
                upstream,
                tool,
                agent.name
            );
            if let Some(first) = reasons.first() {
                summary.push_str(": ");
                summary.push_str(&first.message);
            }
            (verdict.as_str().to_string(), severity, summary)
        }
        TraceEventKind::Approval {
            action, operator, ..
        } => {
            let severity = if action == "approved" {
                Severity::Info
            } else {
                Severity::Notice
            };
            let by = operator
                .as_deref()
                .map(|o| format!(" by {o}"))
                .unwrap_or_default();
            (action.clone(), severity, format!("approval {action}{by}"))
        }
        TraceEventKind::Outcome { outcome } => {
            let (status, severity) = match outcome {
                CallOutcome::Completed { is_error, .. } => (
                    "completed",
                    if *is_error {
                        Severity::Notice
                    } else {
                        Severity::Info
                    },
                ),
                CallOutcome::UpstreamFailed { .. } => ("upstream_failed", Severity::Error),
                CallOutcome::Blocked { .. } => ("blocked", Severity::Info),
                CallOutcome::Cancelled => ("cancelled", Severity::Info),
            };
            (status.to_string(), severity, format!("call {status}"))
        }
        #[allow(unreachable_patterns)]
        _ => {
            // Events without a call (operator actions) name their action.
            let action = doc.get("action").and_then(Value::as_str).unwrap_or(kind);
            let by = doc
                .get("operator")
                .and_then(Value::as_str)
                .map(|o| format!(" by {o}"))
                .unwrap_or_default();
            (
                action.to_string(),
                Severity::Notice,
                format!("{kind} {action}{by}"),
            )
        }
    }
}

/// OpenTelemetry trace id of a decision: its UUID's 16 bytes when it is
/// one, otherwise the first 16 bytes of its SHA-256.
pub fn otel_trace_id(decision_id: &str) -> String {
    let hexed: String = decision_id.chars().filter(|c| *c != '-').collect();
    if hexed.len() == 32 && hexed.chars().all(|c| c.is_ascii_hexdigit()) && hexed != "0".repeat(32)
    {
        return hexed.to_ascii_lowercase();
    }
    let digest = Sha256::digest(decision_id.as_bytes());
    hex::encode(digest.get(..16).unwrap_or_default())
}

/// OpenTelemetry span id of a decision's tool call.
pub fn otel_span_id(decision_id: &str) -> String {
    let digest = Sha256::digest(format!("span:{decision_id}").as_bytes());
    hex::encode(digest.get(..8).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_id_uses_the_uuid_and_hashes_anything_else() {
        assert_eq!(
            otel_trace_id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            "0190a1b2c3d47e5f8a9b0c1d2e3f4a5b"
        );
        let hashed = otel_trace_id("not-a-uuid");
        assert_eq!(hashed.len(), 32);
        assert_ne!(hashed, otel_trace_id("not-a-uuid-either"));
        assert_eq!(otel_span_id("x").len(), 16);
        assert_ne!(otel_span_id("x"), otel_span_id("y"));
    }
}
