//! No poisoning through approvals: approved calls make what they used
//! known, but teach the agent's habits (hours, call volume, result volume)
//! only after approvals on several distinct days, and then at a reduced
//! weight. The clock is the observations' own time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use behavry_baseline::{Baselines, RiskAssessment, APPROVED_DAYS_TO_LEARN};
use common::{query, trained, ANALYSTS};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const AGENT: &str = ANALYSTS[0];

fn evidence(a: &RiskAssessment, name: &str) -> f64 {
    a.factors
        .iter()
        .find(|f| f.name == name)
        .map_or(0.0, |f| f.evidence)
}

/// Ten night queries of ordinary volume from 02:00 on `night`, each
/// intercepted and then approved (or, for the contrast, allowed).
fn night_work(b: &mut Baselines, night: OffsetDateTime, approved: bool) {
    for i in 0..10 {
        let t = night + Duration::minutes(3 * i);
        b.assess(&query(AGENT, t, None));
        let done = query(AGENT, t, Some(1000.0));
        if approved {
            b.update_approved(&done);
        } else {
            b.update(&done);
        }
    }
}

/// A burst of 38 queries from 02:05 on `night` (none runs), and the
/// assessment of the 39th at 02:47.
fn burst(b: &mut Baselines, night: OffsetDateTime) -> RiskAssessment {
    for i in 0..38 {
        b.assess(&query(AGENT, night + Duration::minutes(5 + i), None));
    }
    b.assess(&query(AGENT, night + Duration::minutes(47), None))
}

const NIGHTS: [OffsetDateTime; 2] = [
    datetime!(2026-03-03 02:00 UTC),
    datetime!(2026-03-04 02:00 UTC),
];
const LATER: OffsetDateTime = datetime!(2026-03-05 02:00 UTC);

#[test]
fn approved_night_calls_do_not_make_nights_or_bursts_normal() {
    let untouched = trained();
    let probe = query(AGENT, LATER + Duration::minutes(47), None);
    let before = untouched.score(&probe);

    let mut approved = trained();
    for night in NIGHTS {
        night_work(&mut approved, night, true);
    }
    let profile = approved.agent(AGENT).unwrap();
    assert_eq!(
        profile.observations,
        untouched.agent(AGENT).unwrap().observations + 20
    );
    assert_eq!(profile.approved_days, 2);
    // Two nights of approvals: the hours of the week are as they were.
    let after = approved.score(&probe);
    assert!(
        (evidence(&after, "time_of_week") - evidence(&before, "time_of_week")).abs() < 1e-9,
        "{} vs {}",
        after.explain(),
        before.explain()
    );
    assert!(after.score >= 0.7, "a later night call: {}", after.score);
    let later = burst(&mut approved, LATER);
    assert!(later.score >= 0.75, "a later burst: {}", later.explain());

    // Had the same calls been allowed, the nights would have taught the
    // histogram: the same probe looks less unusual.
    let mut allowed = trained();
    for night in NIGHTS {
        night_work(&mut allowed, night, false);
    }
    let taught = allowed.score(&probe);
    assert!(
        evidence(&taught, "time_of_week") < evidence(&before, "time_of_week") - 0.3,
        "{} vs {}",
        taught.explain(),
        before.explain()
    );
}

#[test]
fn approvals_sustained_over_days_teach_slowly() {
    let mut b = trained();
    let start = datetime!(2026-03-02 02:00 UTC);
    let probe = |day: i64| {
        query(
            AGENT,
            start + Duration::days(day) + Duration::minutes(50),
            None,
        )
    };
    let before = evidence(&b.score(&probe(0)), "time_of_week");
    let mut history = Vec::new();
    for day in 0..21 {
        night_work(&mut b, start + Duration::days(day), true);
        history.push(evidence(&b.score(&probe(day + 1)), "time_of_week"));
    }
    let days = usize::try_from(APPROVED_DAYS_TO_LEARN).unwrap();
    // Nothing learned before the third day of approvals…
    for e in &history[..days - 1] {
        assert!((e - before).abs() < 0.05, "{history:?}");
    }
    // …then nights become less unusual, slowly but for good.
    assert!(history[days + 2] < before, "{history:?}");
    assert!(history[20] < history[days + 2], "{history:?}");
    assert_eq!(b.agent(AGENT).unwrap().approved_days, 21);
}
