//! The detector on the synthetic generator's data, two seeds: it must find
//! the injected anomalies with few false escalations. The floors here are
//! well below the figures recorded in BENCHMARKS.md, so a change that
//! breaks detection fails while ordinary retuning does not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use behavry_baseline::eval::{evaluate, EvalOptions, EvalReport};
use behavry_baseline::synth::{generate, SynthConfig};

fn run(seed: u64) -> EvalReport {
    let events = generate(&SynthConfig {
        seed,
        ..SynthConfig::default()
    });
    let (_, report) = evaluate(&events, &EvalOptions::default()).unwrap();
    println!("seed {seed}\n{}", report.to_table());
    report
}

#[test]
fn detects_injected_anomalies_on_two_seeds() {
    for seed in [1, 2] {
        let r = run(seed);
        let base_rate = r.base_rate.unwrap();
        assert!(r.auroc.unwrap() >= 0.7, "seed {seed}: AUROC");
        assert!(r.auprc.unwrap() >= 8.0 * base_rate, "seed {seed}: AUPRC");
        assert!(
            r.false_escalations_per_agent_day.unwrap() <= 0.05,
            "seed {seed}: false escalations"
        );
        assert!(r.precision_at_threshold.unwrap() >= 0.8, "seed {seed}");
        assert!(2 * r.incidents_detected >= r.incidents, "seed {seed}");
        for kind in ["off_hours", "new_tool", "role_imitation"] {
            let k = r.per_kind.iter().find(|k| k.kind == kind).unwrap();
            assert!(
                k.incidents_detected + 1 >= k.incidents,
                "seed {seed}: {kind} detected {} of {}",
                k.incidents_detected,
                k.incidents
            );
        }
    }
}
