//! OCSF API Activity (class 6003, category 6 Application Activity, schema
//! 1.3): every trace event becomes one API Activity with activity "Other"
//! (99) named after the event kind. The native record is kept whole under
//! `unmapped` so nothing is lost in translation.

use super::{field, result_of, text, Doc, Result3};
use crate::record::{View, PRODUCT, PRODUCT_VERSION};
use serde_json::{json, Map, Value};

pub const CLASS_UID: u32 = 6003;
const CATEGORY_UID: u32 = 6;
const ACTIVITY_OTHER: u32 = 99;
const SCHEMA_VERSION: &str = "1.3.0";

pub fn ocsf_doc(view: &View) -> Map<String, Value> {
    let doc = &view.doc;
    let (status_id, status) = match result_of(view) {
        Result3::Success => (1, "Success"),
        Result3::Failure => (2, "Failure"),
        Result3::Other => (99, "Other"),
    };
    let severity = match view.severity.ocsf_id() {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        _ => "High",
    };
    let operation = text(doc, &["method"]).unwrap_or(view.kind.as_str());
    let mut api = json!({
        "operation": operation,
        "request": { "uid": view.decision_id },
    });
    if let (Some(upstream), Some(api)) = (text(doc, &["upstream"]), api.as_object_mut()) {
        api.insert("service".into(), json!({ "name": upstream }));
    }
    let mut out = json!({
        "class_uid": CLASS_UID,
        "class_name": "API Activity",
        "category_uid": CATEGORY_UID,
        "category_name": "Application Activity",
        "activity_id": ACTIVITY_OTHER,
        "activity_name": capitalised(&view.kind),
        "type_uid": CLASS_UID * 100 + ACTIVITY_OTHER,
        "type_name": "API Activity: Other",
        "time": view.unix_millis() as i64,
        "time_dt": view.time_rfc3339,
        "severity_id": view.severity.ocsf_id(),
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "status_detail": view.action,
        "message": view.summary,
        "metadata": {
            "version": SCHEMA_VERSION,
            "uid": view.event_id,
            "correlation_uid": view.decision_id,
            "sequence": view.seq,
            "log_name": "decision_trace",
            "product": { "name": PRODUCT, "vendor_name": PRODUCT, "version": PRODUCT_VERSION },
        },
    });
    let Some(obj) = out.as_object_mut() else {
        return Map::new();
    };
    obj.insert("api".into(), api);
    obj.insert("unmapped".into(), Value::Object(Doc::Native.build(view)));
    let agent_id = text(doc, &["agent", "id"]);
    let agent_name = text(doc, &["agent", "name"]);
    if agent_id.is_some() || agent_name.is_some() {
        let mut user = Map::new();
        if let Some(id) = agent_id {
            user.insert("uid".into(), Value::from(id));
        }
        if let Some(name) = agent_name {
            user.insert("name".into(), Value::from(name));
        }
        if let Some(role) = text(doc, &["agent", "role"]) {
            user.insert("groups".into(), json!([{ "name": role }]));
        }
        obj.insert(
            "actor".into(),
            json!({ "user": user, "app_name": "behavry" }),
        );
        obj.insert(
            "src_endpoint".into(),
            json!({ "name": agent_name.unwrap_or_default() }),
        );
    } else if let Some(operator) = text(doc, &["operator"]) {
        obj.insert(
            "actor".into(),
            json!({ "user": { "name": operator, "type": "Admin", "type_id": 2 } }),
        );
    }
    if let Some(tool) = text(doc, &["tool"]) {
        obj.insert(
            "resources".into(),
            json!([{ "name": tool, "type": "mcp_tool" }]),
        );
    }
    if view.kind == "decision" {
        let (id, word) = match view.action.as_str() {
            "allow" => (1, "Allowed"),
            "deny" => (2, "Blocked"),
            _ => (99, "Held for approval"),
        };
        obj.insert("disposition_id".into(), Value::from(id));
        obj.insert("disposition".into(), Value::from(word));
        if let Some(rev) = text(doc, &["policy_revision"]) {
            obj.insert("policy".into(), json!({ "uid": rev, "name": "behavry" }));
        }
    }
    if let Some(latency) = field(doc, &["latency_ms"]).and_then(Value::as_f64) {
        obj.insert("duration".into(), Value::from(latency.round() as i64));
    }
    std::mem::take(obj)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
