//! `[risk]`: the behavioural baseline (`behavry-baseline`, docs/risk.md).
//!
//! Validated without I/O. Tool patterns are qualified names
//! (`upstream.tool`) where `*` matches any run of characters; they mark
//! calls as reading sensitive data or sending data out, which the
//! baseline uses for its sequence and destination factors. The score
//! thresholds are not here: they are policy data (`behavry_config.risk`).

use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRisk {
    pub enabled: Option<bool>,
    #[serde(default)]
    pub sensitive_tools: Vec<String>,
    #[serde(default)]
    pub outbound_tools: Vec<String>,
    pub utc_offset_minutes: Option<i64>,
    pub min_observations: Option<u64>,
    pub min_days: Option<f64>,
    pub flush_secs: Option<u64>,
}

/// The validated `[risk]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskSettings {
    /// Score calls and learn baselines at all. When off, `input.risk` is
    /// `null` and nothing is learned.
    pub enabled: bool,
    /// Qualified tool patterns whose calls read sensitive data.
    pub sensitive_tools: Vec<String>,
    /// Qualified tool patterns whose calls send data out.
    pub outbound_tools: Vec<String>,
    /// Operators' local time (the usual-hours histogram is kept in it).
    pub utc_offset_minutes: i32,
    /// Trained calls before an agent leaves the learning period.
    pub min_observations: u64,
    /// Days of history before an agent leaves the learning period.
    pub min_days: f64,
    /// How often changed profiles are written to the store.
    pub flush_every: Duration,
}

impl Default for RiskSettings {
    fn default() -> Self {
        RiskSettings {
            enabled: true,
            sensitive_tools: Vec::new(),
            outbound_tools: Vec::new(),
            utc_offset_minutes: 0,
            min_observations: 200,
            min_days: 7.0,
            flush_every: Duration::from_secs(5),
        }
    }
}

/// A tool pattern: non-empty, no whitespace or control characters.
pub fn valid_tool_pattern(p: &str) -> bool {
    !p.is_empty() && p.len() <= 256 && !p.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub(crate) fn validate_risk(problems: &mut Vec<String>, raw: RawRisk) -> RiskSettings {
    let d = RiskSettings::default();
    for (field, list) in [
        ("sensitive_tools", &raw.sensitive_tools),
        ("outbound_tools", &raw.outbound_tools),
    ] {
        for (i, p) in list.iter().enumerate() {
            if !valid_tool_pattern(p) {
                problems.push(format!(
                    "risk.{field}[{i}] must be a qualified tool pattern like `database.*` (no spaces), got {p:?}"
                ));
            }
        }
    }
    let utc_offset_minutes = match raw.utc_offset_minutes {
        None => d.utc_offset_minutes,
        Some(m) if (-1439..=1439).contains(&m) => m as i32,
        Some(m) => {
            problems.push(format!(
                "risk.utc_offset_minutes must be within one day (-1439..=1439), got {m}"
            ));
            d.utc_offset_minutes
        }
    };
    let min_observations = crate::validate::bounded(
        problems,
        "risk.min_observations",
        raw.min_observations,
        d.min_observations,
        0,
        10_000_000,
    );
    let min_days = match raw.min_days {
        None => d.min_days,
        Some(v) if v.is_finite() && (0.0..=365.0).contains(&v) => v,
        Some(v) => {
            problems.push(format!("risk.min_days must be between 0 and 365, got {v}"));
            d.min_days
        }
    };
    let flush_secs = crate::validate::bounded(
        problems,
        "risk.flush_secs",
        raw.flush_secs,
        d.flush_every.as_secs(),
        1,
        3600,
    );
    RiskSettings {
        enabled: raw.enabled.unwrap_or(d.enabled),
        sensitive_tools: raw.sensitive_tools,
        outbound_tools: raw.outbound_tools,
        utc_offset_minutes,
        min_observations,
        min_days,
        flush_every: Duration::from_secs(flush_secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (RiskSettings, Vec<String>) {
        let raw: RawRisk = toml::from_str(text).unwrap();
        let mut problems = Vec::new();
        let s = validate_risk(&mut problems, raw);
        (s, problems)
    }

    #[test]
    fn defaults_and_values() {
        let (s, p) = parse("");
        assert!(p.is_empty());
        assert_eq!(s, RiskSettings::default());
        let (s, p) = parse(
            "enabled = false\nsensitive_tools = [\"database.*\"]\noutbound_tools = [\"email.send*\"]\nutc_offset_minutes = -300\nmin_observations = 50\nmin_days = 2.5\nflush_secs = 10\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert!(!s.enabled);
        assert_eq!(s.sensitive_tools, vec!["database.*"]);
        assert_eq!(s.outbound_tools, vec!["email.send*"]);
        assert_eq!(s.utc_offset_minutes, -300);
        assert_eq!((s.min_observations, s.min_days), (50, 2.5));
        assert_eq!(s.flush_every, Duration::from_secs(10));
    }

    #[test]
    fn every_problem_is_reported() {
        let (_, p) = parse(
            "sensitive_tools = [\"\", \"a b\"]\nutc_offset_minutes = 1440\nmin_days = -1\nflush_secs = 0\n",
        );
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(p.iter().any(|m| m.contains("risk.utc_offset_minutes")));
        assert!(p.iter().any(|m| m.contains("risk.min_days")));
        assert!(p.iter().any(|m| m.contains("risk.flush_secs")));
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(toml::from_str::<RawRisk>("intercept_at = 0.7").is_err());
    }
}
