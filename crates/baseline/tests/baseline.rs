//! Behaviour of the baseline through its public API: the reference case of
//! the risk design, the cold-start rule, resistance to poisoning,
//! persistence and the memory bound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use behavry_baseline::{
    tool_entry_bytes, AgentProfile, BaselineConfig, Baselines, Observation, ProfileError,
    RoleProfile,
};
use time::macros::datetime;

mod common;
use common::{query, trained, ANALYSTS};

/// The largest contributor of an assessment.
fn dominant(a: &behavry_baseline::RiskAssessment) -> &behavry_baseline::Factor {
    a.factors
        .iter()
        .max_by(|x, y| x.contribution.total_cmp(&y.contribution))
        .unwrap()
}

#[test]
fn reference_case_usual_call_allows_and_night_burst_intercepts() {
    let mut b = trained();
    // Tuesday morning: a few usual queries, then one at 10:14.
    for (m, v) in [(0, 950.0), (5, 1100.0), (10, 1020.0)] {
        let t = datetime!(2026-03-03 10:00 UTC) + time::Duration::minutes(m);
        b.assess(&query(ANALYSTS[0], t, None));
        b.update(&query(ANALYSTS[0], t, Some(v)));
    }
    let usual = b.assess(&query(ANALYSTS[0], datetime!(2026-03-03 10:14 UTC), None));
    println!("10:14 → {:.2}: {}", usual.score, usual.explain());
    assert!(usual.score > 0.1 && usual.score < 0.3, "{}", usual.score);
    assert!(!usual.learning);

    // Wednesday night: a burst of queries from 02:05, each one intercepted
    // and none approved (none trains); the 39th, at 02:47, is 4.4× the
    // agent's usual eight calls an hour.
    let night = datetime!(2026-03-04 02:05 UTC);
    let first = b.assess(&query(ANALYSTS[0], night, None));
    assert!(first.score >= 0.7, "off-hours alone: {}", first.score);
    for i in 1..38 {
        b.assess(&query(
            ANALYSTS[0],
            night + time::Duration::minutes(i),
            None,
        ));
    }
    let risky = b.assess(&query(ANALYSTS[0], datetime!(2026-03-04 02:47 UTC), None));
    println!("02:47 → {:.2}: {}", risky.score, risky.explain());
    assert!(risky.score >= 0.75 && risky.score < 0.88, "{}", risky.score);
    assert_eq!(dominant(&risky).name, "call_volume");
    let summary = risky.explain();
    assert!(
        summary.starts_with("call volume 4.4× the rolling baseline for this hour (39 calls"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "; off-hours (Wednesday 02:47): agent is usually active 08:00–18:00, Monday–Friday"
        ),
        "{summary}"
    );
    // Contributions add up to the score above the no-evidence score.
    let sum: f64 = risky.factors.iter().map(|f| f.contribution).sum();
    assert!((sum - (risky.score - behavry_baseline::base_score())).abs() < 1e-9);
    let policy = risky.to_policy_value();
    println!("{}", serde_json::to_string_pretty(&policy).unwrap());
    assert_eq!(policy["learning"], false);
    let volume = policy["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "call_volume")
        .unwrap();
    assert_eq!(volume["observed"], 39.0);
    assert!(volume["baseline"].as_f64().unwrap() > 7.0);
    assert!(volume["contribution"].as_f64().unwrap() > 0.3);
    assert_eq!(b.agent(ANALYSTS[0]).unwrap().observations, 1_603);

    // A result 4.4× the usual volume, when it is known with the call, is
    // seen as well.
    let big = b.score(&query(
        ANALYSTS[0],
        datetime!(2026-03-04 02:47 UTC),
        Some(4_360.0),
    ));
    assert!(
        big.explain()
            .contains("result volume 4.4× the rolling baseline for this hour"),
        "{}",
        big.explain()
    );
}

#[test]
fn cold_start_leans_on_peers() {
    let b = trained();
    let t = datetime!(2026-03-03 11:00 UTC);
    let newcomer = b.score(&query("data-analyst-new", t, None));
    assert!(newcomer.learning && newcomer.confidence == 0.0);
    assert!(
        newcomer.score < 0.35,
        "usual for the role: {}",
        newcomer.score
    );

    let mut odd = Observation::new(t, "data-analyst-new", "analyst", "secrets.read");
    odd.resource = Some("vault/prod/db".to_string());
    let odd = b.score(&odd);
    assert!(odd.score >= 0.7, "a tool no peer uses: {}", odd.score);

    // The first agent of a new role has neither history nor peers: its
    // unusual-looking first calls are not alarmed.
    let mut first = Observation::new(
        datetime!(2026-03-08 03:00 UTC),
        "auditor-1",
        "auditor",
        "ledger.read",
    );
    first.destination_host = Some("ledger.example".to_string());
    let first = b.score(&first);
    assert!(first.learning && first.score < 0.5, "{}", first.score);
}

#[test]
fn calls_that_do_not_run_never_train() {
    let mut b = trained();
    let mut attack = Observation::new(
        datetime!(2026-03-04 03:00 UTC),
        ANALYSTS[1],
        "analyst",
        "secrets.read",
    );
    attack.resource = Some("vault/prod/db".to_string());
    let first = b.assess(&attack).score;
    assert!(first >= 0.7);
    let new_tool = |a: &behavry_baseline::RiskAssessment| {
        a.factors
            .iter()
            .find(|f| f.name == "new_tool")
            .map_or(0.0, |f| f.evidence)
    };
    // Denied a hundred times: the gateway never calls update. The attempts
    // only raise the call volume of the hour; nothing becomes familiar.
    let mut last = first;
    for i in 0..100 {
        attack.time += 30;
        let a = b.assess(&attack);
        assert!(a.score >= last - 1e-9, "call {i}: {} after {last}", a.score);
        assert!(new_tool(&a) > 2.0, "call {i}");
        last = a.score;
    }
    assert!(!b
        .agent(ANALYSTS[1])
        .unwrap()
        .tools
        .contains_key("secrets.read"));
    // Were they allowed (trained), the tool would come to be known.
    for _ in 0..100 {
        attack.time += 30;
        b.update(&attack);
    }
    attack.time += 30;
    assert_eq!(new_tool(&b.score(&attack)), 0.0);
}

fn probes() -> Vec<Observation> {
    vec![
        query(ANALYSTS[0], datetime!(2026-03-03 10:14 UTC), None),
        query(ANALYSTS[2], datetime!(2026-03-04 02:47 UTC), Some(9_000.0)),
        Observation::new(
            datetime!(2026-03-04 12:00 UTC),
            ANALYSTS[1],
            "analyst",
            "email.send",
        ),
    ]
}

#[test]
fn profiles_persist_and_restore_exactly() {
    let mut b = trained();
    let dirty = b.take_dirty();
    assert_eq!(dirty.agents.len(), 3);
    assert_eq!(dirty.roles, vec!["analyst".to_string()]);
    assert_eq!(b.take_dirty().agents.len(), 0);

    let mut restored = Baselines::new(BaselineConfig::default()).unwrap();
    for agent in ANALYSTS {
        let json = b.agent(agent).unwrap().to_json().unwrap();
        restored.restore_agent_json(&json).unwrap();
    }
    restored
        .restore_role_json(&b.role("analyst").unwrap().to_json().unwrap())
        .unwrap();
    for p in probes() {
        assert_eq!(b.score(&p), restored.score(&p));
    }

    let json = b.agent(ANALYSTS[0]).unwrap().to_json().unwrap();
    let config = BaselineConfig::default();
    let other_version = json.replacen("\"format\":1", "\"format\":99", 1);
    assert_eq!(
        AgentProfile::from_json(&other_version, &config),
        Err(ProfileError::UnsupportedFormat {
            found: 99,
            expected: 1
        })
    );
    assert!(matches!(
        AgentProfile::from_json(&json[..json.len() / 2], &config),
        Err(ProfileError::Malformed(_))
    ));
    assert!(matches!(
        RoleProfile::from_json("{\"format\":1}", &config),
        Err(ProfileError::Malformed(_))
    ));
    let nan = json.replacen("\"mean\":", "\"mean\":1e999,\"x\":", 1);
    assert!(AgentProfile::from_json(&nan, &config).is_err());
}

#[test]
fn memory_per_agent_tool_pair_is_bounded() {
    let mut b = trained();
    let agent = ANALYSTS[0];
    let start = datetime!(2026-03-02 09:00 UTC);
    // One pair flooded with distinct resources, prefixes and hosts.
    for i in 0..50_000i64 {
        let mut o = Observation::new(
            start + time::Duration::seconds(i * 7),
            agent,
            "analyst",
            "files.read",
        );
        o.resource = Some(format!("/data/area-{i}/sub-{i}/file-{i}.csv"));
        o.destination_host = Some(format!("host-{i}.example"));
        o.volume = Some((i % 1000) as f64);
        b.update(&o);
    }
    let profile = b.agent(agent).unwrap();
    let tool = profile.tools.get("files.read").unwrap();
    let in_memory = tool_entry_bytes("files.read", tool);
    let serialized = serde_json::to_string(tool).unwrap().len() + "files.read".len() + 4;
    let whole = profile.memory_bytes();
    println!(
        "per agent-tool pair: {in_memory} bytes in memory, {serialized} bytes as JSON; \
         whole agent profile with {} tools: {whole} bytes in memory, {} bytes as JSON",
        profile.tools.len(),
        profile.to_json().unwrap().len()
    );
    assert!(in_memory <= 512, "{in_memory}");
    assert!(serialized <= 1_024, "{serialized}");
    assert!(whole <= 4_096, "{whole}");
    let role = b.role("analyst").unwrap();
    assert!(role.to_json().unwrap().len() <= 16_384);
}

#[test]
fn profile_renders_for_people() {
    let b = trained();
    let text =
        behavry_baseline::render_profile(b.agent(ANALYSTS[0]).unwrap(), &BaselineConfig::default());
    println!("{text}");
    assert!(text.starts_with("agent data-analyst-primary (role analyst)"));
    assert!(text.contains("usual hours   08:00–18:00, Monday–Friday"));
    assert!(text.contains("database.query"));
    assert!(!text.contains("learning"));
}
