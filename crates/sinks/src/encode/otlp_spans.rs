//! OpenTelemetry spans for tool calls (OTLP/HTTP JSON, `/v1/traces`),
//! following the GenAI semantic conventions for tool execution:
//! span `execute_tool {gen_ai.tool.name}`, kind INTERNAL,
//! `gen_ai.operation.name = "execute_tool"`, `gen_ai.tool.name`,
//! `gen_ai.tool.type`, the agent as `gen_ai.agent.*`, `error.type` when the
//! call did not complete, and MCP's `mcp.method.name` / `mcp.session.id`.
//!
//! A span closes when its call's outcome is recorded, so one span is built
//! per `outcome` record, from the decision (start, verdict) and approvals of
//! the same decision, found earlier in the batch or in
//! [`EncodeContext::related`]. Other records yield no span of their own;
//! a batch without outcomes encodes to an empty body (nothing to send).

use super::otlp_logs::{int, kv, resource, scope, string, tool_name};
use super::{field, obj, text, EncodeContext, Encoder, EncoderOptions};
use crate::record::{otel_span_id, otel_trace_id, EncodeError, Record, View};
use behavry_core::TraceEvent;
use serde_json::{json, Value};

const SPAN_KIND_INTERNAL: u8 = 1;
const STATUS_OK: u8 = 1;
const STATUS_ERROR: u8 = 2;

pub struct OtlpSpans {
    options: EncoderOptions,
}

impl OtlpSpans {
    pub fn new(options: EncoderOptions) -> Self {
        OtlpSpans { options }
    }
}

impl Encoder for OtlpSpans {
    fn encode(&self, batch: &[Record], ctx: &EncodeContext) -> Result<Vec<u8>, EncodeError> {
        let mut spans = Vec::new();
        for (index, (seq, event)) in batch.iter().enumerate() {
            let outcome = View::new(*seq, event)?;
            if outcome.kind != "outcome" {
                continue;
            }
            let mut earlier: Vec<View> = Vec::new();
            let related = ctx.related.get(&outcome.decision_id);
            for e in related.into_iter().flatten() {
                earlier.push(View::new(0, e)?);
            }
            for (s, e) in batch.iter().take(index) {
                if e.decision_id == event.decision_id {
                    earlier.push(View::new(*s, e)?);
                }
            }
            spans.push(span(&outcome, &earlier));
        }
        if spans.is_empty() {
            return Ok(Vec::new());
        }
        let scope = obj([("scope", scope()), ("spans", Value::Array(spans))]);
        let body = obj([(
            "resourceSpans",
            Value::Array(vec![obj([
                (
                    "resource",
                    obj([("attributes", Value::Array(resource(&self.options)))]),
                ),
                ("scopeSpans", Value::Array(vec![scope])),
            ])]),
        )]);
        serde_json::to_vec(&body).map_err(|e| EncodeError {
            seq: batch.first().map(|(s, _)| *s).unwrap_or(0),
            message: e.to_string(),
        })
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }

    fn needs_related(&self) -> bool {
        true
    }
}

/// Decision ids of outcomes whose decision is not earlier in the batch.
pub fn missing_decisions(batch: &[Record]) -> Vec<String> {
    let mut missing = Vec::new();
    for (index, (_, event)) in batch.iter().enumerate() {
        let is_outcome = matches!(event.event, behavry_core::TraceEventKind::Outcome { .. });
        let decided_here = batch.iter().take(index).any(|(_, e)| {
            e.decision_id == event.decision_id
                && matches!(e.event, behavry_core::TraceEventKind::Decision { .. })
        });
        if is_outcome && !decided_here && !missing.contains(&event.decision_id.0) {
            missing.push(event.decision_id.0.clone());
        }
    }
    missing
}

fn span(outcome: &View, earlier: &[View]) -> Value {
    let decision = earlier.iter().find(|v| v.kind == "decision");
    let latency_ms = field(&outcome.doc, &["latency_ms"]).and_then(Value::as_f64);
    let end = outcome.unix_nanos;
    let start = match (decision, latency_ms) {
        (Some(d), _) => d.unix_nanos.min(end),
        (None, Some(ms)) => end - (ms * 1_000_000.0) as i128,
        (None, None) => end,
    };
    let tool = decision.and_then(|d| tool_name(&d.doc));
    let name = match &tool {
        Some(t) => format!("execute_tool {t}"),
        None => "execute_tool".to_string(),
    };
    let mut attributes = vec![
        kv("gen_ai.operation.name", string("execute_tool")),
        kv("gen_ai.tool.type", string("extension")),
        kv("behavry.decision_id", string(&outcome.decision_id)),
        kv("behavry.outcome", string(&outcome.action)),
        kv("behavry.seq", int(outcome.seq as i128)),
    ];
    if let Some(t) = &tool {
        attributes.push(kv("gen_ai.tool.name", string(t)));
    }
    let mut events = Vec::new();
    if let Some(d) = decision {
        let doc = &d.doc;
        let pairs = [
            ("gen_ai.agent.id", text(doc, &["agent", "id"])),
            ("gen_ai.agent.name", text(doc, &["agent", "name"])),
            ("mcp.method.name", text(doc, &["method"])),
            ("mcp.session.id", text(doc, &["session_id"])),
            ("behavry.upstream", text(doc, &["upstream"])),
            ("behavry.verdict", Some(d.action.as_str())),
            ("behavry.policy_revision", text(doc, &["policy_revision"])),
            ("behavry.agent.role", text(doc, &["agent", "role"])),
        ];
        for (key, value) in pairs {
            if let Some(v) = value {
                attributes.push(kv(key, string(v)));
            }
        }
    }
    for v in earlier {
        let mut attrs = vec![kv("behavry.action", string(&v.action))];
        if let Some(reason) = field(&v.doc, &["reasons"])
            .and_then(|r| r.get(0))
            .and_then(|r| r.get("message"))
            .and_then(Value::as_str)
            .or_else(|| text(&v.doc, &["reason"]))
        {
            attrs.push(kv("behavry.reason", string(reason)));
        }
        if let Some(op) = text(&v.doc, &["operator"]) {
            attrs.push(kv("behavry.operator", string(op)));
        }
        events.push(obj([
            ("timeUnixNano", Value::from(v.unix_nanos.to_string())),
            ("name", Value::from(format!("behavry.{}", v.kind))),
            ("attributes", Value::Array(attrs)),
        ]));
    }
    let error_type = match outcome.action.as_str() {
        "completed"
            if field(&outcome.doc, &["is_error"]).and_then(Value::as_bool) == Some(true) =>
        {
            Some("tool_error")
        }
        "completed" => None,
        other => Some(other),
    };
    let status = match error_type {
        Some(e) => {
            attributes.push(kv("error.type", string(e)));
            let message = text(&outcome.doc, &["error"])
                .or_else(|| text(&outcome.doc, &["reason"]))
                .unwrap_or(e);
            json!({ "code": STATUS_ERROR, "message": message })
        }
        None => json!({ "code": STATUS_OK }),
    };
    obj([
        ("traceId", Value::from(otel_trace_id(&outcome.decision_id))),
        ("spanId", Value::from(otel_span_id(&outcome.decision_id))),
        ("name", Value::from(name)),
        ("kind", Value::from(SPAN_KIND_INTERNAL)),
        ("startTimeUnixNano", Value::from(start.to_string())),
        ("endTimeUnixNano", Value::from(end.to_string())),
        ("attributes", Value::Array(attributes)),
        ("events", Value::Array(events)),
        ("status", status),
    ])
}

/// Keep only the earlier events of each decision (what a span is built from).
pub fn related_of(events: Vec<(u64, TraceEvent)>, before_seq: u64) -> Vec<TraceEvent> {
    events
        .into_iter()
        .filter(|(s, _)| *s < before_seq)
        .map(|(_, e)| e)
        .collect()
}
