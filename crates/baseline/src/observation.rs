//! One observed call, as the baseline sees it, and the pure helpers that
//! derive features from it: the hour of the week, the resource prefix and
//! the stable hashes under which resources, hosts and sequences are
//! remembered.
//!
//! Time is always passed in (unix seconds); nothing here reads a clock.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub const SECONDS_PER_HOUR: i64 = 3_600;
pub const HOURS_PER_WEEK: usize = 168;

/// One call by one agent.
///
/// The gateway builds it from what it has established itself: the agent
/// and role come from the credential, the tool is the qualified name
/// (`upstream.tool`), `resource` and `destination_host` are extracted from
/// the arguments, `sensitive` / `outbound` come from the operator's tool
/// classification, and `volume` is the size of the result (bytes or rows),
/// known only after the call returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Unix seconds.
    pub time: i64,
    pub agent: String,
    pub role: String,
    /// Qualified tool name, e.g. `database.query`.
    pub tool: String,
    /// Path, URI, table or other object the call touches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Host an outbound call sends to (URL host, mail domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_host: Option<String>,
    /// The call reads data classified as sensitive.
    #[serde(default)]
    pub sensitive: bool,
    /// The call sends data out of the organisation's systems.
    #[serde(default)]
    pub outbound: bool,
    /// Bytes or rows returned. `None` when not known (yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<f64>,
}

impl Observation {
    /// An observation of `tool` by `agent` at `time`, with no resource,
    /// destination or volume.
    pub fn new(
        time: OffsetDateTime,
        agent: impl Into<String>,
        role: impl Into<String>,
        tool: impl Into<String>,
    ) -> Self {
        Observation {
            time: time.unix_timestamp(),
            agent: agent.into(),
            role: role.into(),
            tool: tool.into(),
            resource: None,
            destination_host: None,
            sensitive: false,
            outbound: false,
            volume: None,
        }
    }

    /// The same observation without its volume: what the gateway knows when
    /// it decides, before the call has returned.
    pub fn at_decision(&self) -> Self {
        Observation {
            volume: None,
            ..self.clone()
        }
    }

    /// The volume, if it is a usable number (finite and not negative).
    pub fn usable_volume(&self) -> Option<f64> {
        self.volume.filter(|v| v.is_finite() && *v >= 0.0)
    }
}

/// Hours since the unix epoch, in local time.
pub fn hour_index(unix: i64, utc_offset_seconds: i32) -> i64 {
    (unix + i64::from(utc_offset_seconds)).div_euclid(SECONDS_PER_HOUR)
}

/// Hour of the week in local time: 0 is Monday 00:00–01:00, 167 is Sunday
/// 23:00–24:00.
pub fn hour_of_week(unix: i64, utc_offset_seconds: i32) -> usize {
    // 1970-01-01 was a Thursday: day 0 is weekday index 3 (Monday = 0).
    let hours = hour_index(unix, utc_offset_seconds);
    let day = hours.div_euclid(24);
    let weekday = (day + 3).rem_euclid(7);
    let hour = hours.rem_euclid(24);
    // Both are small and non-negative after rem_euclid.
    usize::try_from(weekday * 24 + hour).unwrap_or(0)
}

/// Fraction of the current hour already elapsed, in [0, 1).
pub fn hour_fraction(unix: i64, utc_offset_seconds: i32) -> f64 {
    let s = (unix + i64::from(utc_offset_seconds)).rem_euclid(SECONDS_PER_HOUR);
    s as f64 / SECONDS_PER_HOUR as f64
}

pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// "Sunday 02:47" in local time.
pub fn describe_local_time(unix: i64, utc_offset_seconds: i32) -> String {
    let local = unix + i64::from(utc_offset_seconds);
    let how = hour_of_week(unix, utc_offset_seconds);
    let minute = local.rem_euclid(SECONDS_PER_HOUR) / 60;
    let day = WEEKDAYS.get(how / 24).copied().unwrap_or("?");
    format!("{day} {:02}:{minute:02}", how % 24)
}

/// The prefix under which a resource counts as "known": scheme and
/// authority when present, then at most `depth` path segments, without a
/// query or fragment. A resource with a single segment (a table name) is
/// its own prefix; the last segment of a longer path is dropped.
///
/// `/data/reports/2024/q3.csv` → `/data/reports` (depth 2);
/// `https://api.example.com/v1/users/7` → `https://api.example.com/v1/users`;
/// `customers` → `customers`.
pub fn resource_prefix(resource: &str, depth: usize) -> String {
    let cut = resource.find(['?', '#']).unwrap_or(resource.len());
    let resource = resource.get(..cut).unwrap_or(resource);
    let (head, path) = match resource.find("://") {
        Some(i) => {
            let after = resource.get(i + 3..).unwrap_or("");
            let end = after.find('/').map_or(resource.len(), |j| i + 3 + j);
            (
                resource.get(..end).unwrap_or(resource),
                resource.get(end..).unwrap_or(""),
            )
        }
        None => ("", resource),
    };
    let segments: Vec<&str> = path.split(['/', '\\']).filter(|s| !s.is_empty()).collect();
    // Keep the leaf only when it is the whole path (a table, a key).
    let keep = if segments.len() <= 1 {
        segments.len()
    } else {
        (segments.len() - 1).min(depth)
    };
    let mut out = head.to_string();
    let rooted = !head.is_empty() || path.starts_with('/') || path.starts_with('\\');
    for (i, s) in segments.iter().take(keep).enumerate() {
        if i > 0 || rooted {
            out.push('/');
        }
        out.push_str(s);
    }
    out
}

/// A stable 64-bit key for a remembered string (SHA-256, truncated):
/// identical across restarts and builds, and impractical to collide on
/// purpose with a prefix or host an agent is known to use.
pub fn key(domain: &str, value: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(domain.as_bytes());
    h.update([0u8]);
    h.update(value.as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
    u64::from_le_bytes(bytes)
}

/// Hosts compare case-insensitively and without a trailing dot.
pub fn normalize_host(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn hour_of_week_starts_monday() {
        let cases = [
            (datetime!(2026-03-02 00:00 UTC), 0, 0),       // Monday
            (datetime!(2026-03-03 10:14 UTC), 0, 24 + 10), // Tuesday
            (datetime!(2026-03-08 23:59 UTC), 0, 167),     // Sunday
            (datetime!(1970-01-01 00:00 UTC), 0, 72),      // Thursday
            (datetime!(2026-03-02 00:30 UTC), -3600, 167), // local Sunday 23:30
        ];
        for (t, offset, expected) in cases {
            assert_eq!(hour_of_week(t.unix_timestamp(), offset), expected, "{t}");
        }
        assert_eq!(
            describe_local_time(datetime!(2026-03-08 02:47 UTC).unix_timestamp(), 0),
            "Sunday 02:47"
        );
    }

    #[test]
    fn prefixes() {
        let cases = [
            ("/data/reports/2024/q3.csv", "/data/reports"),
            ("/data/q3.csv", "/data"),
            ("customers", "customers"),
            ("public.customers", "public.customers"),
            (
                "https://api.example.com/v1/users/7?x=1",
                "https://api.example.com/v1/users",
            ),
            ("https://api.example.com", "https://api.example.com"),
            ("file:///etc/passwd", "file:///etc"),
            ("reports/2024/q3.csv", "reports/2024"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(resource_prefix(input, 2), expected, "{input}");
        }
    }

    #[test]
    fn keys_are_stable_and_domain_separated() {
        assert_eq!(key("host", "example.com"), key("host", "example.com"));
        assert_ne!(key("host", "example.com"), key("prefix", "example.com"));
        // Persisted profiles depend on this value never changing.
        assert_eq!(key("host", "a"), 0x533d_c36d_4323_f1f5);
    }

    proptest::proptest! {
        #[test]
        fn prefix_is_a_prefix_and_idempotent_in_depth(path in "(/[a-z]{1,5}){0,6}") {
            let p = resource_prefix(&path, 2);
            proptest::prop_assert!(path.starts_with(&p));
            proptest::prop_assert!(p.matches('/').count() <= 2);
        }

        #[test]
        fn hour_of_week_is_in_range(t in -10_000_000_000i64..10_000_000_000, off in -86_399i32..86_399) {
            proptest::prop_assert!(hour_of_week(t, off) < HOURS_PER_WEEK);
            let f = hour_fraction(t, off);
            proptest::prop_assert!((0.0..1.0).contains(&f));
        }
    }
}
