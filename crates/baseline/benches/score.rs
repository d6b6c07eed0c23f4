//! Cost of scoring and training one call against a trained profile (part
//! of the decision step's budget; the aim is well under 20 µs a call).
//!
//! `cargo bench -p behavry-baseline --bench score`

use behavry_baseline::synth::{generate, SynthConfig};
use behavry_baseline::{BaselineConfig, Baselines, Observation};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn trained() -> (Baselines, Vec<Observation>) {
    let events = generate(&SynthConfig {
        seed: 7,
        days: 21,
        anomalies_per_kind: 0,
        ..SynthConfig::default()
    });
    let mut b = Baselines::new(BaselineConfig::default()).unwrap_or_default();
    for e in &events {
        b.update(&e.observation());
    }
    let probes = events
        .iter()
        .rev()
        .take(256)
        .map(|e| e.observation().at_decision())
        .collect();
    (b, probes)
}

fn bench(c: &mut Criterion) {
    let (baselines, probes) = trained();
    let mut i = 0usize;
    c.bench_function("score one call (trained profile)", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            black_box(baselines.score(black_box(&probes[i])))
        })
    });
    c.bench_function("score + input.risk JSON", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            black_box(baselines.score(black_box(&probes[i])).to_policy_value())
        })
    });
    let mut assessing = baselines.clone();
    c.bench_function("assess one call (count the attempt, score)", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            black_box(assessing.assess(black_box(&probes[i])))
        })
    });
    let mut training = baselines.clone();
    c.bench_function("update one call", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            let mut obs = probes[i].clone();
            obs.time += 3_600 * 24 * 7;
            training.update(black_box(&obs));
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
