//! Behaviour of the baseline through its public API: the reference case of
//! the risk design, the cold-start rule, resistance to poisoning,
//! persistence and the memory bound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use behavry_baseline::{
    tool_entry_bytes, AgentProfile, BaselineConfig, Baselines, Observation, ProfileError,
    RoleProfile,
};
use time::macros::datetime;
use time::OffsetDateTime;

const ANALYSTS: [&str; 3] = ["data-analyst-primary", "data-analyst-2", "data-analyst-3"];
const TABLES: [&str; 3] = ["sales", "orders", "products"];

fn query(agent: &str, t: OffsetDateTime, volume: Option<f64>) -> Observation {
    let mut o = Observation::new(t, agent, "analyst", "database.query");
    let i = (t.unix_timestamp() / 60) as usize;
    o.resource = Some(TABLES[i % TABLES.len()].to_string());
    o.volume = volume;
    o
}

/// Deterministic jitter in [0.7, 1.3).
fn jitter(i: u64) -> f64 {
    0.7 + 0.6 * ((i as f64 * 0.618_033_988_7).fract())
}

/// Four weeks of office-hours work (Monday–Friday, 08:00–18:00, eight
/// queries an hour of about 1,000 rows) by three analysts.
fn trained() -> Baselines {
    let mut b = Baselines::new(BaselineConfig::default()).unwrap();
    let start = datetime!(2026-02-02 00:00 UTC); // a Monday
    let mut i = 0u64;
    for day in 0..28i64 {
        if day % 7 >= 5 {
            continue;
        }
        for hour in 8..18i64 {
            for call in 0..8i64 {
                for agent in ANALYSTS {
                    i += 1;
                    let minute = (call * 7 + (i % 5) as i64) % 60;
                    let t = start
                        + time::Duration::days(day)
                        + time::Duration::hours(hour)
                        + time::Duration::minutes(minute);
                    b.update(&query(agent, t, Some((1000.0 * jitter(i)).round())));
                }
            }
        }
    }
    b
}

#[test]
fn reference_case_usual_call_allows_and_night_volume_intercepts() {
    let mut b = trained();
    // Tuesday morning: a few usual queries, then one at 10:14.
    for (m, v) in [(0, 950.0), (5, 1100.0), (10, 1020.0)] {
        let t = datetime!(2026-03-03 10:00 UTC) + time::Duration::minutes(m);
        b.update(&query(ANALYSTS[0], t, Some(v)));
    }
    let usual = b.score(&query(ANALYSTS[0], datetime!(2026-03-03 10:14 UTC), None));
    println!("10:14 → {:.2}: {}", usual.score, usual.explain());
    assert!(usual.score > 0.1 && usual.score < 0.3, "{}", usual.score);
    assert!(!usual.learning);

    // Wednesday 02:47, with a result 4.4× the usual volume.
    let night = query(ANALYSTS[0], datetime!(2026-03-04 02:47 UTC), Some(4_360.0));
    let risky = b.score(&night);
    println!("02:47 → {:.2}: {}", risky.score, risky.explain());
    assert!(risky.score >= 0.75 && risky.score < 0.95, "{}", risky.score);
    let summary = risky.explain();
    assert!(
        summary.contains("volume 4.4× the rolling baseline for this hour"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "off-hours (Wednesday 02:47): agent is usually active 08:00–18:00, Monday–Friday"
        ),
        "{summary}"
    );
    // Contributions add up to the score above the no-evidence score.
    let sum: f64 = risky.factors.iter().map(|f| f.contribution).sum();
    assert!((sum - (risky.score - behavry_baseline::base_score())).abs() < 1e-9);
    let policy = risky.to_policy_value();
    println!("{}", serde_json::to_string_pretty(&policy).unwrap());
    assert_eq!(policy["learning"], false);
    assert!(policy["factors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "time_of_week" && f["contribution"].as_f64().unwrap() > 0.2));
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
    let first = b.score(&attack).score;
    assert!(first >= 0.7);
    // Denied a hundred times: the gateway never calls update.
    for i in 0..100 {
        attack.time += 30;
        let s = b.score(&attack).score;
        assert!((s - first).abs() < 1e-9, "call {i}: {s}");
    }
    // Were they approved (trained), the same calls would come to look normal.
    for _ in 0..100 {
        attack.time += 30;
        b.update(&attack);
    }
    attack.time += 30;
    assert!(b.score(&attack).score < 0.7);
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
