//! The differential check that admits the bytecode VM for a policy set: a
//! corpus of input documents is decided by both engines, and the VM is only
//! used if every outcome is identical.
//!
//! The corpus is generated from the set's own data (roles and every
//! `upstream.tool` pattern it names) crossed with call methods, the
//! listing flag and a catalogue of argument shapes (SQL, paths, e-mail
//! recipients, wrong types, odd JSON), sampled deterministically down to
//! [`LOAD_CORPUS_BUDGET`] inputs at load time so reloads stay fast.
//!
//! Identical means: the same verdict and the same reasons in the same
//! order, or errors of the same kind (the text of an evaluation error is
//! engine-specific and not compared).

use crate::evaluator::PolicyEvaluator;
use crate::input_value::{input_value, json_value};
use behavry_core::{
    AgentId, AgentIdentity, CallKind, EvalError, PolicyInput, PolicyVerdict, RequestMeta,
    TimeFacts, ToolCall,
};
use regorus::Value;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Generated inputs decided by both engines when a set is loaded.
pub const LOAD_CORPUS_BUDGET: usize = 256;
/// Longest the load-time check may take (about 40 ms for the default set).
pub const LOAD_CHECK_TIME_BUDGET: Duration = Duration::from_secs(3);
/// Time limit of one evaluation during the check: generous, so that a busy
/// host does not fake a disagreement, and below the whole budget.
pub(crate) const CHECK_EVAL_TIME_LIMIT: Duration = Duration::from_secs(1);

const METHODS: [CallKind; 3] = [
    CallKind::ToolsCall,
    CallKind::ResourcesRead,
    CallKind::PromptsGet,
];

/// Argument shapes exercising the kinds of checks a tool-call policy makes.
fn argument_shapes() -> Vec<serde_json::Value> {
    vec![
        json!({}),
        json!({"sql": "SELECT id, total FROM orders WHERE id = 7"}),
        json!({"sql": "DROP TABLE customers"}),
        json!({"sql": "select 1;delete from t"}),
        json!({"sql": "UPDATE t SET a = 1"}),
        json!({"sql": "update t set a = 1 where id = 2"}),
        json!({"sql": "SELECT deleted_at FROM t /* truncate */"}),
        json!({"sql": 42}),
        json!({"path": "/sandbox/report.txt", "content": "x"}),
        json!({"path": "/etc/passwd"}),
        json!({"path": "notes/today.md"}),
        json!({"path": "/sandbox/../etc/passwd"}),
        json!({"path": "~/.ssh/id_rsa"}),
        json!({"path": ""}),
        json!({"path": 7}),
        json!({"source": "/tmp/behavry-sandbox/a", "destination": "C:\\windows"}),
        json!({"to": "ada@example.com", "subject": "s", "body": "b"}),
        json!({"to": "x@evil.org"}),
        json!({"to": ["a@example.com", "b@sub.example.com"], "cc": "c@other.net"}),
        json!({"bcc": [1, "a@example.com"]}),
        json!({"to": []}),
        json!({"name": "x", "nested": {"deep": [1, 2.5, {"k": null}], "flag": true}}),
        json!([1, "two", null]),
        json!("just a string"),
    ]
}

/// One generated call.
#[derive(Debug, Clone)]
pub struct CorpusCall {
    pub role: String,
    pub method: CallKind,
    pub upstream: String,
    pub tool: String,
    pub listing: bool,
    pub arguments: serde_json::Value,
}

impl CorpusCall {
    pub fn to_input(&self) -> PolicyInput {
        PolicyInput {
            agent: AgentIdentity {
                id: AgentId("0190a4b2-7c1d-7000-8000-00000000c0de".to_string()),
                name: "differential-agent".to_string(),
                role: self.role.clone(),
                labels: [("team".to_string(), "data".to_string())]
                    .into_iter()
                    .collect(),
                owner: Some("ops@example.com".to_string()),
            },
            call: ToolCall {
                method: self.method,
                upstream: self.upstream.clone(),
                tool: self.tool.clone(),
                arguments: self.arguments.clone(),
            },
            time: TimeFacts {
                rfc3339: "2026-11-02T10:15:00Z".to_string(),
                unix: 1_793_614_500,
                hour: 10,
                minute: 15,
                weekday: "monday".to_string(),
            },
            request: RequestMeta {
                protocol_version: "2025-11-25".to_string(),
                era: "legacy".to_string(),
                session_id: Some("differential-session".to_string()),
                client: None,
                meta: None,
                listing: self.listing,
            },
            risk: None,
            scan: None,
            workflow: None,
        }
    }
}

/// Every generated call for a set whose data document is `data`: roles ×
/// call names × methods × (each argument shape, or listing with `null`).
pub fn generated_calls(data: &serde_json::Value) -> Vec<CorpusCall> {
    let (roles, names) = vocabulary(data);
    let shapes = argument_shapes();
    let mut calls = Vec::new();
    for role in &roles {
        for (upstream, tool) in &names {
            for method in METHODS {
                let call = |listing: bool, arguments: serde_json::Value| CorpusCall {
                    role: role.clone(),
                    method,
                    upstream: upstream.clone(),
                    tool: tool.clone(),
                    listing,
                    arguments,
                };
                calls.push(call(true, serde_json::Value::Null));
                calls.extend(shapes.iter().map(|shape| call(false, shape.clone())));
            }
        }
    }
    calls
}

/// Roles and `(upstream, tool)` names a set's data mentions, plus ones it
/// does not know.
fn vocabulary(data: &serde_json::Value) -> (Vec<String>, BTreeSet<(String, String)>) {
    let mut roles: BTreeSet<String> = data
        .pointer("/behavry_config/roles")
        .and_then(serde_json::Value::as_object)
        .map(|roles| roles.keys().cloned().collect())
        .unwrap_or_default();
    roles.insert("nobody".to_string());
    let mut names = BTreeSet::new();
    collect_names(data, &mut names);
    names.insert(("unknown".to_string(), "tool".to_string()));
    names.insert(("database".to_string(), "query".to_string()));
    names.insert(("email".to_string(), "send".to_string()));
    (roles.into_iter().collect(), names)
}

fn collect_names(value: &serde_json::Value, names: &mut BTreeSet<(String, String)>) {
    match value {
        serde_json::Value::String(s) => {
            if let Some((upstream, tool)) = s.split_once('.') {
                let tool = if tool == "*" { "any_tool" } else { tool };
                names.insert((upstream.to_string(), tool.to_string()));
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_names(v, names)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_names(v, names)),
        _ => {}
    }
}

/// At most `budget` items of `items`, spread evenly over it (deterministic).
pub(crate) fn sample<T: Clone>(items: &[T], budget: usize) -> Vec<T> {
    if items.len() <= budget {
        return items.to_vec();
    }
    (0..budget)
        .filter_map(|i| items.get(i * items.len() / budget).cloned())
        .collect()
}

/// The load-time corpus: sampled generated calls plus edge documents.
pub(crate) fn load_corpus(data: &serde_json::Value) -> Vec<Value> {
    let mut corpus: Vec<Value> = sample(&generated_calls(data), LOAD_CORPUS_BUDGET)
        .iter()
        .filter_map(|call| input_value(&call.to_input()).ok())
        .collect();
    for edge in [json!({}), json!({"call": {"tool": "x"}})] {
        if let Ok(value) = json_value(&edge) {
            corpus.push(value);
        }
    }
    corpus
}

/// Whether two outcomes are identical (errors compared by kind).
pub fn same_outcome(
    a: &Result<PolicyVerdict, EvalError>,
    b: &Result<PolicyVerdict, EvalError>,
) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a == b,
        (Err(a), Err(b)) => std::mem::discriminant(a) == std::mem::discriminant(b),
        _ => false,
    }
}

/// Decide every input with both evaluators. Fails with a message naming
/// the first input the engines disagree on, or when the check takes longer
/// than `budget` (a set this slow is not admitted on an unchecked corpus).
pub(crate) fn check_agreement(
    reference: &mut PolicyEvaluator,
    candidate: &mut PolicyEvaluator,
    corpus: &[Value],
    budget: Duration,
) -> Result<(), String> {
    let started = Instant::now();
    for input in corpus {
        let expected = reference.evaluate_value(input.clone());
        let actual = candidate.evaluate_value(input.clone());
        if !same_outcome(&expected, &actual) {
            return Err(format!(
                "the engines disagree for input {input}: {} returned {expected:?}, {} returned {actual:?}",
                reference.engine(),
                candidate.engine()
            ));
        }
        if started.elapsed() > budget {
            return Err(format!(
                "the differential check did not finish within {budget:?}"
            ));
        }
    }
    Ok(())
}
