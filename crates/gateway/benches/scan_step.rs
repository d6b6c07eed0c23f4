//! What content scanning adds to one call: scanning the arguments into
//! `input.scan` and deciding with it (the shipped policy set, scan.rego
//! included), and filtering a typical tool result.
//!
//! `cargo bench -p behavry-gateway --bench scan_step`

use behavry_core::{
    decide, AgentId, AgentIdentity, CallKind, DecisionId, Guards, PolicyInput, RequestMeta,
    ToolCall,
};
use behavry_gateway::{ContentScanning, ResultThresholds};
use behavry_policy::PolicyHandle;
use behavry_scan::{ScanConfig, Scanner};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use std::path::Path;
use time::OffsetDateTime;

fn scan_step(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let Ok(policy) = PolicyHandle::load_dir(&dir) else {
        eprintln!("default policy set did not load from {}", dir.display());
        return;
    };
    let Ok(scanner) = Scanner::new(ScanConfig::default()) else {
        return;
    };
    let scanning = ContentScanning::new(
        scanner,
        ResultThresholds {
            block_at: 0.9,
            redact_secrets: true,
            spotlight_at: 0.5,
            poisoning_hold_at: 0.5,
        },
    );
    let agent = AgentIdentity {
        id: AgentId("0192f0c1-0000-7000-8000-000000000001".into()),
        name: "data-analyst-primary".into(),
        role: "analyst".into(),
        labels: Default::default(),
        owner: None,
    };
    let arguments =
        json!({"sql": "select id, name, email from customers where region = 'EU' limit 50"});
    let mut group = c.benchmark_group("scan_step");
    group.bench_function("scan arguments (70 B)", |b| {
        b.iter(|| scanning.scan_arguments(&arguments))
    });
    group.bench_function("scan arguments + decide", |b| {
        b.iter(|| {
            let call = ToolCall {
                method: CallKind::ToolsCall,
                upstream: "database".into(),
                tool: "query".into(),
                arguments: arguments.clone(),
            };
            let mut input = PolicyInput::new(
                agent.clone(),
                call,
                OffsetDateTime::now_utc(),
                RequestMeta::default(),
            );
            input.scan = Some(scanning.scan_arguments(&input.call.arguments));
            let set = policy.current();
            let mut evaluator = set.evaluator();
            decide(
                DecisionId("bench".into()),
                &input,
                &Guards::default(),
                &mut evaluator,
            )
        })
    });
    let rows: Vec<String> = (0..20)
        .map(|i| format!("order {i}: 3 items, total 42.50 EUR, shipped to Lyon"))
        .collect();
    let result = json!({"content": [{"type": "text", "text": rows.join("\n")}]});
    group.bench_function("filter result (1 KB)", |b| {
        b.iter(|| scanning.filter_result(CallKind::ToolsCall, "database", "query", result.clone()))
    });
    group.finish();
}

criterion_group!(benches, scan_step);
criterion_main!(benches);
