//! The history shared by the baseline's integration tests: three analysts
//! with four weeks of office-hours `database.query` work.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use behavry_baseline::{BaselineConfig, Baselines, Observation};
use time::macros::datetime;
use time::OffsetDateTime;

pub const ANALYSTS: [&str; 3] = ["data-analyst-primary", "data-analyst-2", "data-analyst-3"];
pub const TABLES: [&str; 3] = ["sales", "orders", "products"];

pub fn query(agent: &str, t: OffsetDateTime, volume: Option<f64>) -> Observation {
    let mut o = Observation::new(t, agent, "analyst", "database.query");
    let i = (t.unix_timestamp() / 60) as usize;
    o.resource = Some(TABLES[i % TABLES.len()].to_string());
    o.volume = volume;
    o
}

/// Deterministic jitter in [0.7, 1.3).
pub fn jitter(i: u64) -> f64 {
    0.7 + 0.6 * ((i as f64 * 0.618_033_988_7).fract())
}

/// Four weeks of office-hours work (Monday–Friday, 08:00–18:00, eight
/// queries an hour of about 1,000 rows) by three analysts.
pub fn trained() -> Baselines {
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
