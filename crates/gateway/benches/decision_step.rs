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

/// The behavioural-baseline part of the step: build the observation, score
/// it against four weeks of history (three analysts) and render
/// `input.risk`, then decide with it — what `gateway::risk` adds per call.
fn risk_step(c: &mut Criterion) {
    use behavry_baseline::{BaselineConfig, Baselines, Observation};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let Ok(policy) = PolicyHandle::load_dir(&dir) else {
        eprintln!("default policy set did not load from {}", dir.display());
        return;
    };
    let Ok(mut baselines) = Baselines::new(BaselineConfig::default()) else {
        return;
    };
    let start = time::macros::datetime!(2026-02-02 00:00 UTC);
    let tables = ["sales", "orders", "products"];
    for day in 0..28i64 {
        if day % 7 >= 5 {
            continue;
        }
        for hour in 8..18i64 {
            for call in 0..8i64 {
                for (i, agent) in ["data-analyst-primary", "data-analyst-2", "data-analyst-3"]
                    .into_iter()
                    .enumerate()
                {
                    let t = start
                        + time::Duration::days(day)
                        + time::Duration::hours(hour)
                        + time::Duration::minutes(call * 7 + i as i64);
                    let mut o = Observation::new(t, agent, "analyst", "database.query");
                    o.resource = Some(tables[(call as usize + i) % 3].to_string());
                    o.volume = Some(1000.0);
                    baselines.update(&o);
                }
            }
        }
    }
    let baselines = std::sync::Mutex::new(baselines);
    let agent = AgentIdentity {
        id: AgentId("0192f0c1-0000-7000-8000-000000000001".into()),
        name: "data-analyst-primary".into(),
        role: "analyst".into(),
        labels: Default::default(),
        owner: None,
    };
    let now = time::macros::datetime!(2026-03-03 10:14 UTC);
    let mut group = c.benchmark_group("decision_step");
    let arguments = json!({"sql": "select id, name from sales where region = 'EU' limit 50"});
    group.bench_function("risk score only", |b| {
        b.iter(|| {
            let mut o = Observation::new(now, &agent.name, &agent.role, "database.query");
            o.resource = Some("sales".into());
            let Ok(mut guard) = baselines.lock() else {
                return None;
            };
            Some(guard.assess(&o).to_policy_value())
        })
    });
    group.bench_function("allow database.query with risk", |b| {
        b.iter(|| {
            let call = ToolCall {
                method: CallKind::ToolsCall,
                upstream: "database".into(),
                tool: "query".into(),
                arguments: arguments.clone(),
            };
            let mut input = PolicyInput::new(agent.clone(), call, now, RequestMeta::default());
            let mut o = Observation::new(now, &agent.name, &agent.role, "database.query");
            o.resource = Some("sales".into());
            input.risk = baselines
                .lock()
                .ok()
                .map(|mut g| g.assess(&o).to_policy_value());
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
    group.finish();
}

criterion_group!(benches, step, risk_step);
criterion_main!(benches);
