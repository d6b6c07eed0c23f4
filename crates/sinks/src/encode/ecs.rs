//! Elasticsearch / OpenSearch `_bulk` with Elastic Common Schema documents.
//!
//! Each record is a `create` action whose `_id` is the record's event id, so
//! a re-delivered record is rejected by the index as a duplicate (409)
//! instead of stored twice; the delivery counts 409 as acknowledged. The
//! native record is kept whole under `behavry`.

use super::{field, result_of, text, Doc, EncodeContext, Encoder, EncoderOptions, Result3};
use crate::record::{otel_trace_id, EncodeError, Record, View, PRODUCT_VERSION};
use serde_json::{json, Map, Value};

const ECS_VERSION: &str = "8.11.0";
pub const DEFAULT_INDEX: &str = "behavry-trace";

pub struct Bulk {
    doc: Doc,
    index: String,
}

impl Bulk {
    pub fn new(doc: Doc, options: EncoderOptions) -> Self {
        Bulk {
            doc,
            index: options.index.unwrap_or_else(|| DEFAULT_INDEX.to_string()),
        }
    }
}

impl Encoder for Bulk {
    fn encode(&self, batch: &[Record], _ctx: &EncodeContext) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(batch.len() * 900);
        for (seq, event) in batch {
            let view = View::new(*seq, event)?;
            let action = json!({ "create": { "_index": self.index, "_id": view.event_id } });
            let doc = Value::Object(self.doc.build(&view));
            for line in [&action, &doc] {
                serde_json::to_writer(&mut out, line).map_err(|e| EncodeError {
                    seq: *seq,
                    message: e.to_string(),
                })?;
                out.push(b'\n');
            }
        }
        Ok(out)
    }

    fn content_type(&self) -> &'static str {
        "application/x-ndjson"
    }
}

pub fn ecs_doc(view: &View) -> Map<String, Value> {
    let doc = &view.doc;
    let outcome = match result_of(view) {
        Result3::Success => "success",
        Result3::Failure => "failure",
        Result3::Other => "unknown",
    };
    let event_type = match (view.kind.as_str(), view.action.as_str()) {
        ("decision", "allow") => "allowed",
        ("decision", "deny") => "denied",
        _ => "info",
    };
    let mut event = json!({
        "kind": "event",
        "category": ["iam"],
        "type": [event_type],
        "action": format!("{}-{}", view.kind, view.action),
        "outcome": outcome,
        "id": view.event_id,
        "sequence": view.seq,
        "dataset": "behavry.trace",
        "module": "behavry",
        "provider": "behavry",
        "severity": view.severity.syslog(),
    });
    if let Some(e) = event.as_object_mut() {
        if let Some(reason) = text(doc, &["reasons"])
            .or_else(|| text(doc, &["reason"]))
            .or_else(|| {
                field(doc, &["reasons"])
                    .and_then(|r| r.get(0))
                    .and_then(|r| r.get("message"))
                    .and_then(Value::as_str)
            })
        {
            e.insert("reason".into(), Value::from(reason));
        }
        if let Some(latency) = field(doc, &["latency_ms"]).and_then(Value::as_f64) {
            e.insert(
                "duration".into(),
                Value::from((latency * 1_000_000.0).round() as i64),
            );
        }
    }
    let mut out = json!({
        "@timestamp": view.time_rfc3339,
        "ecs": { "version": ECS_VERSION },
        "message": view.summary,
        "log": { "level": view.severity.word(), "logger": "behavry.trace" },
        "trace": { "id": otel_trace_id(&view.decision_id) },
        "observer": { "product": "Behavry", "vendor": "Behavry", "type": "gateway", "version": PRODUCT_VERSION },
        "labels": { "decision_id": view.decision_id },
    });
    let Some(obj) = out.as_object_mut() else {
        return Map::new();
    };
    obj.insert("behavry".into(), Value::Object(Doc::Native.build(view)));
    obj.insert("event".into(), event);
    if let Some(name) = text(doc, &["agent", "name"]) {
        let mut user = json!({ "name": name });
        if let Some(u) = user.as_object_mut() {
            if let Some(id) = text(doc, &["agent", "id"]) {
                u.insert("id".into(), Value::from(id));
            }
            if let Some(role) = text(doc, &["agent", "role"]) {
                u.insert("roles".into(), json!([role]));
            }
        }
        obj.insert("user".into(), user);
    }
    if let Some(rev) = text(doc, &["policy_revision"]) {
        obj.insert(
            "rule".into(),
            json!({ "ruleset": "behavry", "version": rev }),
        );
    }
    if let Some(upstream) = text(doc, &["upstream"]) {
        obj.insert("destination".into(), json!({ "address": upstream }));
    }
    std::mem::take(obj)
}
