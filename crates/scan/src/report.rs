//! The result of scanning one value, and the JSON the policy sees as
//! `input.scan` (documented in docs/scanning.md).
//!
//! The policy document is built to keep Rego rules short:
//! `input.scan.kinds.secret` is a boolean for every kind,
//! `input.scan.max_confidence.injection` a number for every kind (0 when
//! absent), `input.scan.max_severity` a string (`none` when clean).

use crate::finding::{Finding, Kind, Severity};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Which part of a call was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// `tools/call` arguments, before forwarding.
    Arguments,
    /// The upstream's result, before returning it to the agent.
    Result,
    /// A tool definition from `tools/list`.
    Description,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Arguments => "arguments",
            Channel::Result => "result",
            Channel::Description => "description",
        }
    }
}

/// Everything one scan found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    pub channel: Channel,
    pub findings: Vec<Finding>,
    /// Highest injection score over the scanned strings, 0..=1.
    pub injection_score: f32,
    /// The rule layer's part of it.
    pub injection_rule_score: f32,
    /// The learned layer's part of it, when enabled.
    pub injection_learned_score: Option<f32>,
    pub jailbreak_score: f32,
    /// Bytes of string content scanned.
    pub bytes_scanned: usize,
    /// The input was over the size cap; only a prefix was scanned.
    pub truncated: bool,
    /// More findings were found than the cap keeps.
    pub findings_dropped: usize,
    /// The secret rule-set revision in force.
    pub rules_revision: String,
}

impl ScanReport {
    pub fn new(channel: Channel, rules_revision: &str) -> ScanReport {
        ScanReport {
            channel,
            findings: Vec::new(),
            injection_score: 0.0,
            injection_rule_score: 0.0,
            injection_learned_score: None,
            jailbreak_score: 0.0,
            bytes_scanned: 0,
            truncated: false,
            findings_dropped: 0,
            rules_revision: rules_revision.to_string(),
        }
    }

    /// The highest severity among findings, `None` when there are none.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// The highest confidence of a finding of `kind`, 0 when there is none.
    pub fn max_confidence(&self, kind: Kind) -> f32 {
        self.findings
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.confidence)
            .fold(0.0, f32::max)
    }

    /// True when some finding of `kind` has at least `min_confidence`.
    pub fn has(&self, kind: Kind, min_confidence: f32) -> bool {
        self.findings
            .iter()
            .any(|f| f.kind == kind && f.confidence >= min_confidence)
    }

    /// The document the policy sees as `input.scan`.
    pub fn to_policy_value(&self) -> Value {
        let mut kinds = Map::new();
        let mut counts = Map::new();
        let mut max_conf = Map::new();
        for kind in Kind::ALL {
            let n = self.findings.iter().filter(|f| f.kind == kind).count();
            kinds.insert(kind.as_str().into(), Value::Bool(n > 0));
            counts.insert(kind.as_str().into(), json!(n));
            max_conf.insert(
                kind.as_str().into(),
                json!(round3(self.max_confidence(kind))),
            );
        }
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|f| serde_json::to_value(f).unwrap_or(Value::Null))
            .collect();
        json!({
            "channel": self.channel.as_str(),
            "findings": findings,
            "max_severity": self.max_severity().map_or("none", Severity::as_str),
            "kinds": kinds,
            "counts": counts,
            "max_confidence": max_conf,
            "injection_score": round3(self.injection_score),
            "jailbreak_score": round3(self.jailbreak_score),
            "truncated": self.truncated,
            "bytes_scanned": self.bytes_scanned,
            "rules_revision": self.rules_revision,
        })
    }
}

fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_value_has_every_kind() {
        let mut r = ScanReport::new(Channel::Arguments, "test");
        r.findings.push(
            Finding::new(Kind::Secret, "github-token", "secrets")
                .severity(Severity::High)
                .confidence(0.95),
        );
        let v = r.to_policy_value();
        assert_eq!(v["kinds"]["secret"], true);
        assert_eq!(v["kinds"]["pii"], false);
        assert_eq!(v["counts"]["secret"], 1);
        assert_eq!(v["max_confidence"]["secret"], 0.95);
        assert_eq!(v["max_confidence"]["injection"], 0.0);
        assert_eq!(v["max_severity"], "high");
        assert_eq!(v["findings"][0]["rule"], "github-token");
        assert_eq!(v["channel"], "arguments");
        let clean = ScanReport::new(Channel::Result, "test").to_policy_value();
        assert_eq!(clean["max_severity"], "none");
    }
}
