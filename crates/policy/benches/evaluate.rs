//! Decision latency of the default policy set through `PolicyEvaluator`
//! (the gateway's hot path), plus the cost of building the input document.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use behavry_core::{
    AgentId, AgentIdentity, CallKind, Evaluate, PolicyInput, RequestMeta, TimeFacts, ToolCall,
};
use behavry_policy::{input_value, PolicySet};
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
