//! The whole decision step as the pipeline runs it for one call: build the
//! policy input, clone the active engine, decide with the shipped default
//! policy set, and redact the arguments for the trace.
//!
//! `cargo bench -p behavry-gateway --bench decision_step`

use behavry_core::{
    decide, redact_arguments, AgentId, AgentIdentity, CallKind, DecisionId, Guards, PolicyInput,
    Redaction, RequestMeta, ToolCall,
};
use behavry_policy::PolicyHandle;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use std::path::Path;
use time::OffsetDateTime;

fn step(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let Ok(policy) = PolicyHandle::load_dir(&dir) else {
        eprintln!("default policy set did not load from {}", dir.display());
        return;
    };
    let redaction = Redaction::default();
    let agent = AgentIdentity {
        id: AgentId("0192f0c1-0000-7000-8000-000000000001".into()),
        name: "data-analyst-primary".into(),
        role: "analyst".into(),
        labels: Default::default(),
        owner: Some("data-team".into()),
    };
    let cases = [
        (
            "allow database.query",
            "database",
            "query",
            json!({"sql": "select id, name from customers where region = 'EU' limit 50"}),
        ),
        (
            "deny email.send",
            "email",
            "send",
            json!({"to": "x@example.org", "subject": "s", "body": "b"}),
        ),
        (
            "intercept drop table",
            "database",
            "query",
            json!({"sql": "DROP TABLE customers"}),
        ),
    ];
    let mut group = c.benchmark_group("decision_step");
    for (name, upstream, tool, arguments) in cases {
        let role = if name.starts_with("intercept") {
            "writer"
        } else {
            "analyst"
        };
        let agent = AgentIdentity {
            role: role.into(),
            ..agent.clone()
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let call = ToolCall {
                    method: CallKind::ToolsCall,
                    upstream: upstream.into(),
                    tool: tool.into(),
                    arguments: arguments.clone(),
                };
                let input = PolicyInput::new(
                    agent.clone(),
                    call,
                    OffsetDateTime::now_utc(),
                    RequestMeta::default(),
                );
                let set = policy.current();
                let mut evaluator = set.evaluator();
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
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
