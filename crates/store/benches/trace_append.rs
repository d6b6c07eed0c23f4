//! Latency of `append_trace` (durable, group-committed, hash-chained) on
//! SQLite: one caller at a time, and each caller's latency with 16
//! appending at once. Also prints p50/p99 per-call latencies for both
//! cases, and measures throughput (records/s) with 64 concurrent appenders
//! for both durabilities.

// A benchmark aborts on any setup or append failure.
#![allow(clippy::expect_used)]

use behavry_core::{
    AgentId, AgentIdentity, CallKind, DecisionId, Reason, TraceEvent, TraceEventKind, Verdict,
};
use behavry_store::{Durability, Store};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const CONCURRENCY: usize = 16;

fn event(i: u64) -> TraceEvent {
    TraceEvent {
        decision_id: DecisionId(format!("bench-{i}")),
        time: OffsetDateTime::now_utc(),
        event: TraceEventKind::Decision {
            agent: AgentIdentity {
                id: AgentId("00000000-0000-4000-8000-000000000001".into()),
                name: "bench".into(),
                role: "analyst".into(),
                labels: Default::default(),
                owner: None,
            },
            method: CallKind::ToolsCall,
            upstream: "db".into(),
            tool: "query".into(),
            arguments: serde_json::json!({"sql": "select * from orders where id = 42"}),
            verdict: Verdict::Allow,
            reasons: vec![Reason::policy("read only")],
            policy_revision: "sha256:0123456789abcdef".into(),
            eval_micros: 35,
            session_id: Some("session-1".into()),
            approval_id: None,
            risk: None,
            scan: None,
            workflow: None,
        },
    }
}

/// Each of `tasks` callers appends `per_task` events back to back; returns
/// every call's latency.
async fn run_appenders(store: &Store, tasks: usize, per_task: u64) -> Vec<Duration> {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_task as usize);
                for i in 0..per_task {
                    let event = event(i);
                    let start = Instant::now();
                    store.append_trace(&event).await.expect("append");
                    latencies.push(start.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for handle in handles {
        all.extend(handle.await.expect("appender task"));
    }
    all
}

fn percentiles(label: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    println!(
        "{label}: n={} p50={:?} p90={:?} p99={:?}",
        latencies.len(),
        at(0.5),
        at(0.9),
        at(0.99)
    );
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = rt
        .block_on(Store::open_dir(dir.path()))
        .expect("open store");

    percentiles("sequential", rt.block_on(run_appenders(&store, 1, 2000)));
    percentiles(
        "concurrent x16",
        rt.block_on(run_appenders(&store, CONCURRENCY, 250)),
    );

    let mut group = c.benchmark_group("append_trace");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("sequential", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async { run_appenders(&store, 1, iters).await.into_iter().sum() })
        })
    });
    // Mean latency seen by one caller while 16 callers append concurrently.
    group.bench_function("concurrent_16", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let per_task = iters.div_ceil(CONCURRENCY as u64);
                let latencies = run_appenders(&store, CONCURRENCY, per_task).await;
                let mean = latencies.iter().sum::<Duration>() / latencies.len() as u32;
                mean * iters as u32
            })
        })
    });
    group.finish();

    // Records per second: 64 callers each waiting for their own durable commit.
    const WRITERS: usize = 64;
    const PER_WRITER: u64 = 64;
    let mut group = c.benchmark_group("append_trace_throughput");
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(20);
    group.throughput(Throughput::Elements(WRITERS as u64 * PER_WRITER));
    for (name, durability) in [
        ("fsync", Durability::Fsync),
        ("os_buffered", Durability::OsBuffered),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = rt
            .block_on(Store::open_dir_durable(dir.path(), durability))
            .expect("open store");
        group.bench_function(format!("concurrent_64_{name}"), |b| {
            b.iter(|| rt.block_on(run_appenders(&store, WRITERS, PER_WRITER)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
