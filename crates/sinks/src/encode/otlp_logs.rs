//! OpenTelemetry OTLP/HTTP logs in the JSON encoding (`/v1/logs`).
//!
//! One log record per trace event: the native record as a `kvlistValue`
//! body, the ids as attributes, and `traceId`/`spanId` derived from the
//! decision id so logs join the spans of `otlp_spans`. 64-bit integers are
//! written as decimal strings and ids as hex, as the OTLP JSON mapping says.

use super::{obj, text, EncodeContext, Encoder, EncoderOptions};
use crate::record::{otel_span_id, otel_trace_id, EncodeError, Record, View, PRODUCT_VERSION};
use serde_json::{Map, Value};

pub struct OtlpLogs {
    options: EncoderOptions,
}

impl OtlpLogs {
    pub fn new(options: EncoderOptions) -> Self {
        OtlpLogs { options }
    }
}

impl Encoder for OtlpLogs {
    fn encode(&self, batch: &[Record], _ctx: &EncodeContext) -> Result<Vec<u8>, EncodeError> {
        let mut records = Vec::with_capacity(batch.len());
        for (seq, event) in batch {
            let view = View::new(*seq, event)?;
            let mut attributes = vec![
                kv("behavry.seq", int(view.seq as i128)),
                kv("behavry.event_id", string(&view.event_id)),
                kv("behavry.decision_id", string(&view.decision_id)),
                kv("behavry.kind", string(&view.kind)),
                kv("behavry.action", string(&view.action)),
            ];
            if let Some(name) = text(&view.doc, &["agent", "name"]) {
                attributes.push(kv("gen_ai.agent.name", string(name)));
            }
            if let Some(id) = text(&view.doc, &["agent", "id"]) {
                attributes.push(kv("gen_ai.agent.id", string(id)));
            }
            if let Some(tool) = tool_name(&view.doc) {
                attributes.push(kv("gen_ai.tool.name", string(&tool)));
            }
            if let Some(method) = text(&view.doc, &["method"]) {
                attributes.push(kv("mcp.method.name", string(method)));
            }
            records.push(obj([
                ("timeUnixNano", Value::from(view.unix_nanos.to_string())),
                (
                    "observedTimeUnixNano",
                    Value::from(view.unix_nanos.to_string()),
                ),
                ("severityNumber", Value::from(view.severity.otel_number())),
                ("severityText", Value::from(view.severity.otel_text())),
                ("eventName", Value::from(format!("behavry.{}", view.kind))),
                ("body", any_value(&Value::Object(view.doc))),
                ("attributes", Value::Array(attributes)),
                ("traceId", Value::from(otel_trace_id(&view.decision_id))),
                ("spanId", Value::from(otel_span_id(&view.decision_id))),
            ]));
        }
        let scope = obj([("scope", scope()), ("logRecords", Value::Array(records))]);
        let body = obj([(
            "resourceLogs",
            Value::Array(vec![obj([
                (
                    "resource",
                    obj([("attributes", Value::Array(resource(&self.options)))]),
                ),
                ("scopeLogs", Value::Array(vec![scope])),
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
}

/// `upstream.tool` as agents name it, or the bare tool when no upstream.
pub(crate) fn tool_name(doc: &Map<String, Value>) -> Option<String> {
    let tool = text(doc, &["tool"])?;
    match text(doc, &["upstream"]) {
        Some(up) if !up.is_empty() => Some(format!("{up}.{tool}")),
        _ => Some(tool.to_string()),
    }
}

pub(crate) fn resource(options: &EncoderOptions) -> Vec<Value> {
    let mut attrs = vec![
        kv("service.name", string("behavry")),
        kv("service.version", string(PRODUCT_VERSION)),
    ];
    if !options.hostname.is_empty() {
        attrs.push(kv("host.name", string(&options.hostname)));
    }
    attrs
}

pub(crate) fn scope() -> Value {
    obj([
        ("name", Value::from("behavry.trace")),
        ("version", Value::from(PRODUCT_VERSION)),
    ])
}

pub(crate) fn kv(key: &str, value: Value) -> Value {
    obj([("key", Value::from(key)), ("value", value)])
}

pub(crate) fn string(s: &str) -> Value {
    obj([("stringValue", Value::from(s))])
}

pub(crate) fn int(i: i128) -> Value {
    obj([("intValue", Value::from(i.to_string()))])
}

/// A JSON value as an OTLP `AnyValue`.
pub(crate) fn any_value(value: &Value) -> Value {
    match value {
        Value::Null => Value::Object(Map::new()),
        Value::Bool(b) => obj([("boolValue", Value::Bool(*b))]),
        Value::Number(n) => match n.as_i64() {
            Some(i) => int(i as i128),
            None => match n.as_u64() {
                Some(u) => int(u as i128),
                None => obj([("doubleValue", Value::from(n.as_f64().unwrap_or(0.0)))]),
            },
        },
        Value::String(s) => string(s),
        Value::Array(items) => obj([(
            "arrayValue",
            obj([(
                "values",
                Value::Array(items.iter().map(any_value).collect()),
            )]),
        )]),
        Value::Object(map) => obj([(
            "kvlistValue",
            obj([(
                "values",
                Value::Array(map.iter().map(|(k, v)| kv(k, any_value(v))).collect()),
            )]),
        )]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn any_value_maps_every_json_type() {
        let v = any_value(&json!({"a": [1, 2.5, "x", true, null], "b": {"c": -3}}));
        assert_eq!(
            v,
            json!({"kvlistValue": {"values": [
                {"key": "a", "value": {"arrayValue": {"values": [
                    {"intValue": "1"}, {"doubleValue": 2.5}, {"stringValue": "x"}, {"boolValue": true}, {}
                ]}}},
                {"key": "b", "value": {"kvlistValue": {"values": [{"key": "c", "value": {"intValue": "-3"}}]}}}
            ]}})
        );
    }
}
