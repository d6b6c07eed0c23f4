//! Cost of the tamper-evidence work per trace record: RFC 8785 encoding of
//! a decision event, the chained record hash, Merkle sealing and checkpoint
//! signing. Throughput is in records per second.

// A benchmark aborts on any setup failure.
#![allow(clippy::expect_used)]

use behavry_trace::{encode_event, merkle_root, record_hash, TraceHash, TraceSigningKey};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use time::OffsetDateTime;

/// A decision event shaped like the gateway's (redacted arguments, one reason).
fn event(i: u64) -> serde_json::Value {
    serde_json::json!({
        "decision_id": format!("0197a3c2-5b1e-7c2d-9f00-{i:012}"),
        "time": "2026-05-01T12:00:00.123456789Z",
        "kind": "decision",
        "agent": {"id": "00000000-0000-4000-8000-000000000001", "name": "bench", "role": "analyst", "labels": {}},
        "method": "tools/call",
        "upstream": "db",
        "tool": "query",
        "arguments": {"sql": "select * from orders where id = 42", "limit": 50},
        "verdict": "allow",
        "reasons": [{"source": "policy", "message": "read only"}],
        "policy_revision": "sha256:0123456789abcdef",
        "eval_micros": 35,
        "session_id": "session-1"
    })
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("trace_chain");
    group.throughput(Throughput::Elements(1));
    let value = event(7);
    // What the store wrote before records were canonical: the baseline.
    group.bench_function("serde_json_to_string", |b| {
        b.iter(|| serde_json::to_string(black_box(&value)).expect("encode"))
    });
    group.bench_function("encode_event", |b| {
        b.iter(|| encode_event(black_box(&value)).expect("encode"))
    });
    let body = encode_event(&value).expect("encode");
    let prev = TraceHash::digest(b"prev");
    group.bench_function("record_hash", |b| {
        b.iter(|| {
            record_hash(black_box(123_456), black_box(&prev), black_box(&body)).expect("hash")
        })
    });
    group.finish();

    let mut group = c.benchmark_group("trace_seal");
    const RANGE: u64 = 4096;
    group.throughput(Throughput::Elements(RANGE));
    let hashes: Vec<TraceHash> = (0..RANGE)
        .map(|i| TraceHash::digest(&i.to_be_bytes()))
        .collect();
    group.bench_function("merkle_root_4096", |b| {
        b.iter(|| merkle_root(black_box(&hashes)).expect("root"))
    });
    let key = TraceSigningKey::from_seed([42; 32]);
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign_checkpoint", |b| {
        b.iter_batched(
            || (hashes[0], hashes[1]),
            |(root, last)| {
                key.sign(1, RANGE, root, last, OffsetDateTime::UNIX_EPOCH)
                    .expect("sign")
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
