#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! `GET /v1/baselines/{agent}`: an agent's live behavioural baseline as
//! JSON and text, for viewers; 404 for an agent without one.

mod support;

use axum::http::StatusCode;
use behavry_baseline::Observation;
use support::harness;

#[tokio::test]
async fn shows_a_learned_profile_and_404s_an_unknown_agent() {
    let h = harness().await;
    let r = h
        .admin("GET", "/v1/baselines/data-analyst-primary", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);

    let t = time::OffsetDateTime::from_unix_timestamp(1_772_532_840).unwrap(); // Tue 10:14 UTC
    h.gateway
        .risk
        .with_baselines(|b| {
            for i in 0..3i64 {
                let mut o = Observation::new(
                    t + time::Duration::minutes(i),
                    "data-analyst-primary",
                    "analyst",
                    "database.query",
                );
                o.resource = Some("sales".into());
                o.volume = Some(1000.0);
                b.update(&o);
            }
        })
        .unwrap();
    let r = h
        .admin("GET", "/v1/baselines/data-analyst-primary", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["agent"], "data-analyst-primary");
    assert_eq!(r.body["profile"]["observations"], 3);
    let text = r.body["text"].as_str().unwrap();
    assert!(
        text.starts_with("agent data-analyst-primary (role analyst)"),
        "{text}"
    );
    assert!(text.contains("database.query"), "{text}");

    let r = h
        .send("GET", "/v1/baselines/data-analyst-primary", &[], None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
