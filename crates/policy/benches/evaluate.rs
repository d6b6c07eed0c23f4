//! Decision latency of the default policy set through `PolicyEvaluator`
//! (the gateway's hot path, on the engine the set selected), per engine on
//! a copy of the set the bytecode VM accepts, plus the cost of building the
//! input document and an evaluator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use behavry_core::{
    decide, redact_arguments, AgentId, AgentIdentity, CallKind, DecisionId, Evaluate, Guards,
    PolicyInput, Redaction, RequestMeta, TimeFacts, ToolCall,
};
use behavry_policy::{input_value, EvalEngine, PolicySet};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use std::hint::black_box;
use std::path::Path;

fn input(role: &str, upstream: &str, tool: &str, arguments: serde_json::Value) -> PolicyInput {
    PolicyInput {
        agent: AgentIdentity {
            id: AgentId("0190a4b2-7c1d-7000-8000-000000000001".to_string()),
            name: "bench-agent".to_string(),
            role: role.to_string(),
            labels: [("team".to_string(), "data".to_string())]
                .into_iter()
                .collect(),
            owner: Some("ops@example.com".to_string()),
        },
        call: ToolCall {
            method: CallKind::ToolsCall,
            upstream: upstream.to_string(),
            tool: tool.to_string(),
            arguments,
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
            session_id: Some("s-1".to_string()),
            client: None,
            meta: None,
            ..RequestMeta::default()
        },
        risk: None,
        scan: None,
        workflow: None,
    }
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let set = PolicySet::load_dir(&dir).expect("default policy set loads");
    eprintln!(
        "default policy set decides on {} ({})",
        set.engine(),
        set.engine_fallback().unwrap_or("no fallback")
    );
    let mut evaluator = set.evaluator();

    let allow = input(
        "analyst",
        "database",
        "query",
        json!({"sql": "select * from orders where id = 7"}),
    );
    let deny = input(
        "writer",
        "files",
        "write",
        json!({"path": "/etc/passwd", "content": "x"}),
    );

    c.bench_function("evaluate_allow", |b| {
        b.iter(|| evaluator.evaluate(black_box(&allow)).expect("allow"))
    });
    c.bench_function("evaluate_deny", |b| {
        b.iter(|| evaluator.evaluate(black_box(&deny)).expect("deny"))
    });
    c.bench_function("input_value_direct", |b| {
        b.iter(|| input_value(black_box(&allow)).expect("value"))
    });
    c.bench_function("input_value_via_json_text", |b| {
        b.iter(|| {
            let text = serde_json::to_string(black_box(&allow)).expect("json");
            regorus::Value::from_json_str(&text).expect("value")
        })
    });
    c.bench_function("evaluator_creation", |b| b.iter(|| set.evaluator()));

    let (_dir, vm_ready) = vm_ready_copy(&dir);
    for engine in [EvalEngine::Rvm, EvalEngine::Interpreter] {
        let Some(mut evaluator) = vm_ready.evaluator_on(engine) else {
            eprintln!("engine {engine} is not available for the VM-ready copy");
            continue;
        };
        for (name, input) in [("allow", &allow), ("deny", &deny)] {
            c.bench_function(&format!("engine_{engine}_{name}"), |b| {
                b.iter(|| evaluator.evaluate(black_box(input)).expect("verdict"))
            });
        }
        // The gateway's decision step (crates/gateway/benches/decision_step.rs):
        // build the input, an evaluator per decision, decide, redact.
        let redaction = Redaction::default();
        for (name, role, upstream, tool, arguments) in [
            (
                "allow_database_query",
                "analyst",
                "database",
                "query",
                json!({"sql": "select id, name from customers where region = 'EU' limit 50"}),
            ),
            (
                "deny_email_send",
                "analyst",
                "email",
                "send",
                json!({"to": "x@example.org", "subject": "s", "body": "b"}),
            ),
            (
                "intercept_drop_table",
                "writer",
                "database",
                "query",
                json!({"sql": "DROP TABLE customers"}),
            ),
        ] {
            c.bench_function(&format!("decision_step_{engine}_{name}"), |b| {
                b.iter(|| {
                    let input = input(role, upstream, tool, arguments.clone());
                    let mut evaluator = vm_ready.evaluator_on(engine).expect("engine");
                    let decision = decide(
                        DecisionId("bench".into()),
                        &input,
                        &Guards::default(),
                        &mut evaluator,
                    );
                    let recorded = redact_arguments(&input.call.arguments, &redaction);
                    (decision, recorded)
                })
            });
        }
    }
}

/// The default set with the one construct the pinned VM decides differently
/// rewritten (see tests/engine_equivalence.rs), so both engines can be timed.
fn vm_ready_copy(dir: &Path) -> (tempfile::TempDir, PolicySet) {
    let copy = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(dir).expect("policy dir") {
        let entry = entry.expect("entry");
        let content = std::fs::read_to_string(entry.path())
            .expect("read")
            .replace(
                "write_paths := [p | some key in path_keys; p := input.call.arguments[key]]",
                "write_paths := {p | some key in path_keys; p := input.call.arguments[key]}",
            );
        std::fs::write(copy.path().join(entry.file_name()), content).expect("write");
    }
    let set = PolicySet::load_dir(copy.path()).expect("copy loads");
    (copy, set)
}

criterion_group!(benches, bench);
criterion_main!(benches);
