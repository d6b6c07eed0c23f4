//! Tunable parameters of the baseline: memory caps, learning periods and
//! decay rates. The calibration constants that turn evidence into a score
//! live in `score.rs`, next to the code that uses them, and are documented
//! in docs/risk.md.

use serde::{Deserialize, Serialize};

/// Parameters shared by every profile. The defaults are the documented ones;
/// a deployment may change them, but profiles learned under one set of
/// caps are trimmed, not rebuilt, when the caps shrink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineConfig {
    /// Offset of the operators' local time from UTC, in seconds: the
    /// hour-of-week histogram and its rendering use local time.
    pub utc_offset_seconds: i32,
    /// An agent is `learning` until it has this many trained observations…
    pub min_observations: u64,
    /// …and this many days between its first and latest observation.
    pub min_days: f64,
    /// Pseudo-count of the peer prior: an agent's own statistics get weight
    /// `n / (n + prior_strength)` against its role's.
    pub prior_strength: f64,
    /// Half-life of the hour-of-week histogram, in days.
    pub histogram_half_life_days: f64,
    /// Smallest weight of a new value in the exponentially weighted means
    /// and variances (early values are averaged evenly until then).
    pub stats_alpha: f64,
    /// Smallest weight of a new value in novelty rates.
    pub novelty_alpha: f64,
    /// Tools remembered per agent (least recently used are forgotten).
    pub max_tools_per_agent: usize,
    /// Tools remembered per role.
    pub max_tools_per_role: usize,
    /// Resource prefixes remembered per agent-tool pair.
    pub max_prefixes_per_tool: usize,
    /// Resource prefixes remembered per role-tool pair.
    pub max_prefixes_per_role_tool: usize,
    /// Destination hosts remembered per agent.
    pub max_hosts_per_agent: usize,
    /// Destination hosts remembered per role.
    pub max_hosts_per_role: usize,
    /// Sensitive-read → outbound sequences remembered per agent or role.
    pub max_sequences: usize,
    /// Recent resource accesses kept per agent for burst detection.
    pub recent_resources: usize,
    /// Window in which distinct resources count as one burst, in seconds.
    pub burst_window_seconds: i64,
    /// An outbound call this soon after a sensitive read forms a sequence.
    pub sequence_window_seconds: i64,
    /// Path segments kept when reducing a resource to its prefix.
    pub prefix_depth: usize,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            utc_offset_seconds: 0,
            min_observations: 200,
            min_days: 7.0,
            prior_strength: 100.0,
            histogram_half_life_days: 28.0,
            stats_alpha: 0.01,
            novelty_alpha: 0.005,
            max_tools_per_agent: 64,
            max_tools_per_role: 256,
            max_prefixes_per_tool: 16,
            max_prefixes_per_role_tool: 64,
            max_hosts_per_agent: 32,
            max_hosts_per_role: 128,
            max_sequences: 16,
            recent_resources: 32,
            burst_window_seconds: 600,
            sequence_window_seconds: 1800,
            prefix_depth: 2,
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid baseline setting {field}: {reason}")]
pub struct ConfigError {
    pub field: &'static str,
    pub reason: &'static str,
}

impl BaselineConfig {
    /// Check every value; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |field, reason| Err(ConfigError { field, reason });
        if !(-86_400 < self.utc_offset_seconds && self.utc_offset_seconds < 86_400) {
            return err("utc_offset_seconds", "must be within one day");
        }
        if !(self.min_days.is_finite() && self.min_days >= 0.0) {
            return err("min_days", "must be a non-negative number");
        }
        for (field, v) in [
            ("prior_strength", self.prior_strength),
            ("histogram_half_life_days", self.histogram_half_life_days),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return err(field, "must be a positive number");
            }
        }
        for (field, v) in [
            ("stats_alpha", self.stats_alpha),
            ("novelty_alpha", self.novelty_alpha),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                return err(field, "must be in (0, 1]");
            }
        }
        for (field, v) in [
            ("max_tools_per_agent", self.max_tools_per_agent),
            ("max_tools_per_role", self.max_tools_per_role),
            ("max_prefixes_per_tool", self.max_prefixes_per_tool),
            (
                "max_prefixes_per_role_tool",
                self.max_prefixes_per_role_tool,
            ),
            ("max_hosts_per_agent", self.max_hosts_per_agent),
            ("max_hosts_per_role", self.max_hosts_per_role),
            ("max_sequences", self.max_sequences),
            ("recent_resources", self.recent_resources),
            ("prefix_depth", self.prefix_depth),
        ] {
            if v == 0 || v > 4096 {
                return err(field, "must be between 1 and 4096");
            }
        }
        if self.burst_window_seconds <= 0 {
            return err("burst_window_seconds", "must be positive");
        }
        if self.sequence_window_seconds <= 0 {
            return err("sequence_window_seconds", "must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(BaselineConfig::default().validate(), Ok(()));
    }

    #[test]
    fn bad_values_are_named() {
        let cases: Vec<(BaselineConfig, &str)> = vec![
            (
                BaselineConfig {
                    stats_alpha: 0.0,
                    ..Default::default()
                },
                "stats_alpha",
            ),
            (
                BaselineConfig {
                    max_prefixes_per_tool: 0,
                    ..Default::default()
                },
                "max_prefixes_per_tool",
            ),
            (
                BaselineConfig {
                    min_days: f64::NAN,
                    ..Default::default()
                },
                "min_days",
            ),
            (
                BaselineConfig {
                    utc_offset_seconds: 90_000,
                    ..Default::default()
                },
                "utc_offset_seconds",
            ),
        ];
        for (config, field) in cases {
            assert_eq!(config.validate().map_err(|e| e.field), Err(field));
        }
    }
}
