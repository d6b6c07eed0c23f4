//! Building the Rego `input` document from a `PolicyInput` directly as a
//! regorus value, without a JSON text round trip (this is on the per-call
//! hot path).
//!
//! Invariant: the result equals the serde JSON serialization of
//! `PolicyInput` (optional fields absent when `None`, `risk`/`scan`/
//! `workflow` present as `null`); `tests/input_document.rs` checks this
//! against `serde_json::to_string`, and every struct is destructured
//! exhaustively so a field added to the core types fails to compile here.

use behavry_core::{AgentIdentity, PolicyInput, RequestMeta, TimeFacts, ToolCall};
use regorus::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The `input` value for `input`, or a message if a JSON value cannot be
/// represented (not expected for JSON that serde_json itself produced).
pub fn input_value(input: &PolicyInput) -> Result<Value, String> {
    let PolicyInput {
        agent,
        call,
        time,
        request,
        risk,
        scan,
        workflow,
    } = input;
    let mut doc = BTreeMap::new();
    doc.insert(key("agent"), agent_value(agent));
    doc.insert(key("call"), call_value(call)?);
    doc.insert(key("time"), time_value(time));
    doc.insert(key("request"), request_value(request)?);
    doc.insert(key("risk"), optional_json(risk.as_ref())?);
    doc.insert(key("scan"), optional_json(scan.as_ref())?);
    doc.insert(key("workflow"), optional_json(workflow.as_ref())?);
    Ok(Value::from(doc))
}

/// Convert any JSON value to a regorus value.
pub fn json_value(json: &serde_json::Value) -> Result<Value, String> {
    Value::deserialize(json).map_err(|e| format!("input is not representable: {e}"))
}

fn key(name: &str) -> Value {
    Value::from(name)
}

fn agent_value(agent: &AgentIdentity) -> Value {
    let AgentIdentity {
        id,
        name,
        role,
        labels,
        owner,
    } = agent;
    let labels: BTreeMap<Value, Value> = labels
        .iter()
        .map(|(k, v)| (Value::from(k.as_str()), Value::from(v.as_str())))
        .collect();
    let mut map = BTreeMap::new();
    map.insert(key("id"), Value::from(id.0.as_str()));
    map.insert(key("name"), Value::from(name.as_str()));
    map.insert(key("role"), Value::from(role.as_str()));
    map.insert(key("labels"), Value::from(labels));
    if let Some(owner) = owner {
        map.insert(key("owner"), Value::from(owner.as_str()));
    }
    Value::from(map)
}

fn call_value(call: &ToolCall) -> Result<Value, String> {
    let ToolCall {
        method,
        upstream,
        tool,
        arguments,
    } = call;
    let mut map = BTreeMap::new();
    map.insert(key("method"), Value::from(method.method()));
    map.insert(key("upstream"), Value::from(upstream.as_str()));
    map.insert(key("tool"), Value::from(tool.as_str()));
    map.insert(key("arguments"), json_value(arguments)?);
    Ok(Value::from(map))
}

fn time_value(time: &TimeFacts) -> Value {
    let TimeFacts {
        rfc3339,
        unix,
        hour,
        minute,
        weekday,
    } = time;
    let mut map = BTreeMap::new();
    map.insert(key("rfc3339"), Value::from(rfc3339.as_str()));
    map.insert(key("unix"), Value::from(*unix));
    map.insert(key("hour"), Value::from(u64::from(*hour)));
    map.insert(key("minute"), Value::from(u64::from(*minute)));
    map.insert(key("weekday"), Value::from(weekday.as_str()));
    Value::from(map)
}

fn request_value(request: &RequestMeta) -> Result<Value, String> {
    let RequestMeta {
        protocol_version,
        era,
        session_id,
        client,
        meta,
        listing,
    } = request;
    let mut map = BTreeMap::new();
    map.insert(
        key("protocol_version"),
        Value::from(protocol_version.as_str()),
    );
    map.insert(key("era"), Value::from(era.as_str()));
    if let Some(session_id) = session_id {
        map.insert(key("session_id"), Value::from(session_id.as_str()));
    }
    if let Some(client) = client {
        map.insert(key("client"), json_value(client)?);
    }
    if let Some(meta) = meta {
        map.insert(key("meta"), json_value(meta)?);
    }
    map.insert(key("listing"), Value::from(*listing));
    Ok(Value::from(map))
}

fn optional_json(value: Option<&serde_json::Value>) -> Result<Value, String> {
    match value {
        Some(v) => json_value(v),
        None => Ok(Value::Null),
    }
}
