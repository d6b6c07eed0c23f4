//! Cost of the workflow part of the decision step at delegation depth 3:
//! token verification (signature chain, presenter, expiry, revocation,
//! depth, the token's own checks), the scope check, the shared-ledger
//! charge, the flow rule and building `input.workflow`.
//!
//! Two cases: a token seen for the first time (every signature verified)
//! and a token already parsed (the usual case: an agent presents the same
//! token on every call). After criterion's estimates, a fixed run of each
//! prints p50 / p99 / max from its own latency samples.
//!
//! `cargo bench -p behavry-workflow --bench verify`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use behavry_workflow::{
    attenuate, AgentRef, BudgetLimits, CallTarget, Charge, Counter, Delegation, FlowRule,
    FlowTracker, MemoryBudgetStore, RevocationId, RevocationSet, Scope, SensitiveRead,
    StartRequest, TokenVerifier, VerifierConfig, WorkflowAuthority, WorkflowBudget,
    WorkflowContext, WorkflowId,
};
use criterion::{black_box, criterion_group, Criterion};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

struct Setup {
    verifier_cold: TokenVerifier,
    verifier_warm: TokenVerifier,
    token: String,
    revocations: RevocationSet,
    store: MemoryBudgetStore,
    flow: FlowTracker,
    now: OffsetDateTime,
}

fn scope(tools: &[&str], flags: &[&str]) -> Scope {
    Scope::parse(tools, &["*"], flags).unwrap()
}

fn setup() -> Setup {
    let now = OffsetDateTime::from_unix_timestamp(1_793_491_200).unwrap();
    let authority = WorkflowAuthority::generate();
    let mut budgets = BudgetLimits::default();
    budgets.set(Counter::Calls, Some(u64::MAX / 2));
    budgets.set(Counter::EmailsSent, Some(u64::MAX / 2));
    let root = authority
        .mint(
            &StartRequest {
                workflow: WorkflowId::parse("wf_bench").unwrap(),
                purpose: "benchmark".into(),
                starter: AgentRef::parse("orchestrator").unwrap(),
                requested: scope(
                    &["database.*", "files.*", "email.send"],
                    &["write", "outbound"],
                ),
                ceiling: Scope::everything(),
                expires: now + time::Duration::days(365),
                max_depth: 3,
                max_fanout: 8,
                budgets,
            },
            now,
        )
        .unwrap();
    let mut token = root.token.to_string();
    for (agent, tools) in [
        ("researcher", vec!["database.*", "email.send"]),
        ("writer", vec!["database.query", "email.send"]),
        ("mailer", vec!["email.send"]),
    ] {
        token = attenuate(
            &token,
            authority.public_key(),
            &Delegation {
                to: AgentRef::parse(agent).unwrap(),
                scope: scope(&tools, &["outbound"]),
                expires: now + time::Duration::days(30),
                seal: false,
            },
            now,
        )
        .unwrap()
        .token
        .to_string();
    }
    let mut revocations = RevocationSet::new();
    for i in 0..1_000u32 {
        let mut bytes = [0u8; 64];
        bytes[..4].copy_from_slice(&i.to_be_bytes());
        revocations.revoke(RevocationId::parse(&hex(&bytes)).unwrap());
    }
    let flow = FlowTracker::new();
    flow.record_read(
        &WorkflowId::parse("wf_bench").unwrap(),
        SensitiveRead {
            agent: AgentRef::parse("researcher").unwrap(),
            resource: "database.query".into(),
            label: "pii".into(),
            at: 1_793_491_200,
            decision_id: None,
        },
    );
    let cold = VerifierConfig {
        cache_capacity: 0,
        ..VerifierConfig::default()
    };
    Setup {
        verifier_cold: TokenVerifier::new(authority.public_key(), cold),
        verifier_warm: TokenVerifier::new(authority.public_key(), VerifierConfig::default()),
        token,
        revocations,
        store: MemoryBudgetStore::new(),
        flow,
        now: now + time::Duration::seconds(10),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The workflow work of one decision for the mailer's `email.send`.
fn decision_step(s: &Setup, verifier: &TokenVerifier) -> serde_json::Value {
    let presenter = AgentRef::parse("mailer").unwrap();
    let chain = verifier
        .verify(&s.token, presenter.as_str(), s.now, &s.revocations)
        .unwrap();
    let call = CallTarget {
        outbound: true,
        ..CallTarget::tool("email.send")
    };
    chain.check_call(&call).unwrap();
    let budget = WorkflowBudget::of(&chain, Some(32));
    let charge = Charge {
        amounts: behavry_workflow::Counts {
            calls: 1,
            emails_sent: 1,
            ..Default::default()
        },
        ..Charge::default()
    };
    let state = s.store.admit_now(&budget, &chain.chain, &charge).unwrap();
    let now_secs = s.now.unix_timestamp() as u64;
    let alert = s.flow.check_outbound(
        &FlowRule::default(),
        &chain.workflow_id,
        &presenter,
        now_secs,
    );
    let mut context = WorkflowContext::new(&chain);
    context.budgets = Some(state);
    context.sensitive_reads = s.flow.reads(&chain.workflow_id);
    context.flow_alert = alert;
    context.to_policy_value()
}

fn bench(c: &mut Criterion) {
    let s = setup();
    c.bench_function("depth 3: verify, first sight (all signatures)", |b| {
        b.iter(|| {
            black_box(
                s.verifier_cold
                    .verify(black_box(&s.token), "mailer", s.now, &s.revocations)
                    .unwrap(),
            )
        })
    });
    c.bench_function("depth 3: verify, token already parsed", |b| {
        b.iter(|| {
            black_box(
                s.verifier_warm
                    .verify(black_box(&s.token), "mailer", s.now, &s.revocations)
                    .unwrap(),
            )
        })
    });
    c.bench_function("depth 3: decision step, first sight", |b| {
        b.iter(|| black_box(decision_step(&s, &s.verifier_cold)))
    });
    c.bench_function("depth 3: decision step, token already parsed", |b| {
        b.iter(|| black_box(decision_step(&s, &s.verifier_warm)))
    });
}

fn percentiles(name: &str, iterations: usize, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        f();
        samples.push(start.elapsed());
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    println!(
        "{name}: n={iterations} p50={:?} p99={:?} max={:?}",
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

fn latency_report() {
    let s = setup();
    percentiles("decision step, first sight", 5_000, || {
        black_box(decision_step(&s, &s.verifier_cold));
    });
    percentiles("decision step, token already parsed", 20_000, || {
        black_box(decision_step(&s, &s.verifier_warm));
    });
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if !std::env::args().any(|a| a == "--list" || a == "--test") {
        latency_report();
    }
}
