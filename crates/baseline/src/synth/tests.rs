use super::*;
use std::collections::{BTreeMap, BTreeSet};

fn small(seed: u64) -> SynthConfig {
    SynthConfig {
        seed,
        days: 21,
        burn_in_days: 10,
        agents_per_role: 3,
        anomalies_per_kind: 2,
        ..SynthConfig::default()
    }
}

#[test]
fn same_seed_same_events_other_seed_other_events() {
    let a = generate(&small(3));
    assert_eq!(a, generate(&small(3)));
    assert_ne!(a, generate(&small(4)));
    assert!(a.windows(2).all(|w| w[0].time <= w[1].time));
}

#[test]
fn every_anomaly_kind_is_injected_and_labelled() {
    let events = generate(&small(3));
    let mut kinds: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in &events {
        match e.label {
            Some(true) => {
                let kind = e.kind.clone().unwrap_or_default();
                kinds
                    .entry(kind)
                    .or_default()
                    .insert(e.incident.clone().unwrap_or_default());
            }
            Some(false) => assert!(e.kind.is_none() && e.incident.is_none()),
            None => panic!("synthetic events are always labelled"),
        }
    }
    for kind in AnomalyKind::ALL {
        let incidents = kinds.get(kind.as_str()).map_or(0, BTreeSet::len);
        assert!(incidents >= 1, "{} missing", kind.as_str());
    }
    let anomalous = events.iter().filter(|e| e.label == Some(true)).count();
    assert!(anomalous * 20 < events.len(), "anomalies must be rare");
}

#[test]
fn office_roles_have_a_daily_and_weekly_rhythm() {
    let config = SynthConfig {
        anomalies_per_kind: 0,
        ..small(5)
    };
    let events = generate(&config);
    let analysts: Vec<&Event> = events.iter().filter(|e| e.role == "analyst").collect();
    let night = analysts
        .iter()
        .filter(|e| (e.time - config.start).rem_euclid(86_400) < 5 * 3_600)
        .count();
    let weekend = analysts
        .iter()
        .filter(|e| ((e.time - config.start).div_euclid(86_400)) % 7 >= 5)
        .count();
    assert!(analysts.len() > 1_000);
    assert_eq!(night, 0);
    assert!(weekend * 20 < analysts.len());
    let ops_night = events
        .iter()
        .filter(|e| e.role == "ops" && (e.time - config.start).rem_euclid(86_400) < 5 * 3_600)
        .count();
    assert!(ops_night > 100, "ops work at night too: {ops_night}");
    assert!(events.iter().all(|e| e.label == Some(false)));
}
