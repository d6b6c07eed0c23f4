//! `[scan]`: content scanning of call arguments, tool results and tool
//! definitions (`behavry-scan`, docs/scanning.md).
//!
//! Validated without I/O: `secret_rules` is only resolved against the
//! config directory here; the gateway reads and compiles it at start-up and
//! refuses to start when it is invalid. Thresholds are confidences or
//! scores in `0..=1`; spotlighting must not start above blocking.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Default bytes of string content scanned per value (1 MiB).
pub const DEFAULT_SCAN_MAX_BYTES: u64 = 1 << 20;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScan {
    pub enabled: Option<bool>,
    pub max_bytes: Option<u64>,
    pub secret_rules: Option<String>,
    pub result_block_injection_at: Option<f64>,
    pub result_redact_secrets: Option<bool>,
    pub result_spotlight_injection_at: Option<f64>,
    pub tool_poisoning_hold_at: Option<f64>,
}

/// The validated `[scan]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanSettings {
    /// Scan arguments, results and tool definitions at all.
    pub enabled: bool,
    /// Bytes of string content scanned per value; the rest is reported as
    /// truncated.
    pub max_bytes: usize,
    /// An operator secret-rule file extending the built-in rules.
    pub secret_rules: Option<PathBuf>,
    /// A result whose injection score reaches this is blocked.
    pub result_block_injection_at: f32,
    /// Redact secrets and personal data found in results.
    pub result_redact_secrets: bool,
    /// A result whose injection score reaches this (but not the block
    /// threshold) is wrapped as untrusted data.
    pub result_spotlight_injection_at: f32,
    /// A tool definition with a `tool_poisoning` finding at or above this
    /// confidence is withheld until an operator approves it.
    pub tool_poisoning_hold_at: f32,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            enabled: true,
            max_bytes: DEFAULT_SCAN_MAX_BYTES as usize,
            secret_rules: None,
            result_block_injection_at: 0.9,
            result_redact_secrets: true,
            result_spotlight_injection_at: 0.5,
            tool_poisoning_hold_at: 0.5,
        }
    }
}

fn unit(problems: &mut Vec<String>, field: &str, value: Option<f64>, default: f32) -> f32 {
    match value {
        None => default,
        Some(v) if (0.0..=1.0).contains(&v) => v as f32,
        Some(v) => {
            problems.push(format!("scan.{field} must be between 0 and 1, got {v}"));
            default
        }
    }
}

pub(crate) fn validate_scan(problems: &mut Vec<String>, raw: RawScan, base: &Path) -> ScanSettings {
    let defaults = ScanSettings::default();
    let max_bytes = crate::validate::bounded(
        problems,
        "scan.max_bytes",
        raw.max_bytes,
        DEFAULT_SCAN_MAX_BYTES,
        1024,
        64 << 20,
    );
    let secret_rules = match raw.secret_rules.as_deref() {
        None => None,
        Some("") => {
            problems.push("scan.secret_rules must not be empty".to_string());
            None
        }
        Some(p) => Some(base.join(p)),
    };
    let block = unit(
        problems,
        "result_block_injection_at",
        raw.result_block_injection_at,
        defaults.result_block_injection_at,
    );
    let spotlight = unit(
        problems,
        "result_spotlight_injection_at",
        raw.result_spotlight_injection_at,
        defaults.result_spotlight_injection_at,
    );
    let hold = unit(
        problems,
        "tool_poisoning_hold_at",
        raw.tool_poisoning_hold_at,
        defaults.tool_poisoning_hold_at,
    );
    if spotlight > block {
        problems.push(format!(
            "scan.result_spotlight_injection_at ({spotlight}) must not exceed scan.result_block_injection_at ({block})"
        ));
    }
    ScanSettings {
        enabled: raw.enabled.unwrap_or(defaults.enabled),
        max_bytes: max_bytes as usize,
        secret_rules,
        result_block_injection_at: block,
        result_redact_secrets: raw
            .result_redact_secrets
            .unwrap_or(defaults.result_redact_secrets),
        result_spotlight_injection_at: spotlight,
        tool_poisoning_hold_at: hold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> (ScanSettings, Vec<String>) {
        let raw: RawScan = toml::from_str(text).unwrap();
        let mut problems = Vec::new();
        let s = validate_scan(&mut problems, raw, Path::new("/etc/behavry"));
        (s, problems)
    }

    #[test]
    fn defaults_and_overrides() {
        let (s, p) = check("");
        assert!(p.is_empty());
        assert_eq!(s, ScanSettings::default());
        let (s, p) = check(
            "enabled = false\nmax_bytes = 4096\nsecret_rules = \"rules.toml\"\nresult_block_injection_at = 0.95\nresult_redact_secrets = false\nresult_spotlight_injection_at = 0.6",
        );
        assert!(p.is_empty(), "{p:?}");
        assert!(!s.enabled);
        assert_eq!(s.max_bytes, 4096);
        assert_eq!(
            s.secret_rules,
            Some(PathBuf::from("/etc/behavry/rules.toml"))
        );
        assert!((s.result_block_injection_at - 0.95).abs() < 1e-6);
        assert!(!s.result_redact_secrets);
    }

    #[test]
    fn rejects_bad_values_together() {
        for (text, expected) in [
            ("max_bytes = 10", "scan.max_bytes"),
            (
                "result_block_injection_at = 1.5",
                "result_block_injection_at",
            ),
            (
                "result_spotlight_injection_at = -0.1",
                "result_spotlight_injection_at",
            ),
            (
                "result_block_injection_at = 0.4\nresult_spotlight_injection_at = 0.6",
                "must not exceed",
            ),
            ("secret_rules = \"\"", "secret_rules"),
            ("tool_poisoning_hold_at = 2", "tool_poisoning_hold_at"),
        ] {
            let (_, p) = check(text);
            assert!(p.iter().any(|m| m.contains(expected)), "{text}: {p:?}");
        }
        assert!(toml::from_str::<RawScan>("blocking = true").is_err());
    }
}
