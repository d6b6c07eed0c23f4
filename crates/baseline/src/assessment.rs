//! The result of scoring one call: a 0..1 score, the `learning` flag, the
//! confidence in the agent's own history, and one `Factor` per feature
//! with its observed value, its baseline and its contribution, each also
//! rendered in words. `to_policy_value` is the document Rego sees as
//! `input.risk`.

use serde::{Deserialize, Serialize};

/// Factors whose contribution is at least this are named in the summary.
const SUMMARY_MIN_CONTRIBUTION: f64 = 0.02;

/// One feature's part in a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// `time_of_week`, `call_volume`, `result_volume`, `volume_trend`,
    /// `volume_drift`, `new_tool`, `new_resource`, `new_destination`,
    /// `resource_burst` or `sequence`.
    pub name: String,
    /// The value seen for this call (see docs/risk.md for each factor's unit).
    pub observed: f64,
    /// What the baseline expected.
    pub baseline: f64,
    /// Evidence in log-odds units, after capping, confidence scaling and
    /// the discount of a factor grouped with a stronger one.
    pub evidence: f64,
    /// Share of the score above the no-evidence score that this factor
    /// accounts for (contributions add up to `score - base score`).
    pub contribution: f64,
    /// The factor in words.
    pub detail: String,
}

impl Factor {
    /// The factor in words, e.g. "call volume 4.4× the rolling baseline
    /// for this hour (39 calls to database.query in the last hour vs 8)".
    pub fn describe(&self) -> &str {
        &self.detail
    }
}

/// The assessment of one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskAssessment {
    /// 0..1; see docs/risk.md for the calibration.
    pub score: f64,
    /// True while the agent's own history is too short to rely on (the
    /// cold-start rule); the score then leans on the role's peers.
    pub learning: bool,
    /// 0..1: how much of the expectation comes from the agent's own history.
    pub confidence: f64,
    pub factors: Vec<Factor>,
}

impl RiskAssessment {
    /// The factors that moved the score, largest first, in words; or a
    /// sentence saying the call is within the baseline.
    pub fn explain(&self) -> String {
        let mut parts: Vec<&Factor> = self
            .factors
            .iter()
            .filter(|f| f.contribution >= SUMMARY_MIN_CONTRIBUTION)
            .collect();
        parts.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
        let mut out = if parts.is_empty() {
            "within the baseline".to_string()
        } else {
            parts
                .iter()
                .map(|f| f.detail.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        if self.learning {
            out.push_str(" (learning: the agent's own history is short, the role's peers set the expectation)");
        }
        out
    }

    /// The document exposed to policy as `input.risk`:
    /// `{score, learning, confidence, factors: [{name, observed, baseline,
    /// evidence, contribution, detail}], summary}`. Numbers are rounded to
    /// four decimals.
    pub fn to_policy_value(&self) -> serde_json::Value {
        let factors: Vec<serde_json::Value> = self
            .factors
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name,
                    "observed": round4(f.observed),
                    "baseline": round4(f.baseline),
                    "evidence": round4(f.evidence),
                    "contribution": round4(f.contribution),
                    "detail": f.detail,
                })
            })
            .collect();
        serde_json::json!({
            "score": round4(self.score),
            "learning": self.learning,
            "confidence": round4(self.confidence),
            "factors": factors,
            "summary": self.explain(),
        })
    }
}

fn round4(x: f64) -> f64 {
    if x.is_finite() {
        (x * 10_000.0).round() / 10_000.0
    } else {
        0.0
    }
}

/// A number for people: thousands separated, one decimal below 10.
pub fn human_number(x: f64) -> String {
    if !x.is_finite() {
        return "?".to_string();
    }
    if x.abs() < 10.0 && x.fract().abs() > 0.05 {
        return format!("{x:.1}");
    }
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio for people: "4.4×", "12×".
pub fn human_ratio(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{}×", human_number(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(name: &str, contribution: f64, detail: &str) -> Factor {
        Factor {
            name: name.to_string(),
            observed: 1.23456,
            baseline: 0.5,
            evidence: 1.0,
            contribution,
            detail: detail.to_string(),
        }
    }

    #[test]
    fn numbers_for_people() {
        let cases = [
            (0.0, "0"),
            (4.44, "4.4"),
            (12.0, "12"),
            (1234.4, "1,234"),
            (1_234_567.0, "1,234,567"),
            (-2500.0, "-2,500"),
            (f64::NAN, "?"),
        ];
        for (x, expected) in cases {
            assert_eq!(human_number(x), expected);
        }
        assert_eq!(human_ratio(4.43), "4.4×");
        assert_eq!(human_ratio(1500.0), "1,500×");
    }

    #[test]
    fn policy_value_has_the_documented_shape() {
        let a = RiskAssessment {
            score: 0.81234567,
            learning: false,
            confidence: 0.9,
            factors: vec![
                factor("time_of_week", 0.2, "off-hours"),
                factor("result_volume", 0.4, "volume 4.4×"),
                factor("new_tool", 0.0, "known tool"),
            ],
        };
        let v = a.to_policy_value();
        assert_eq!(v["score"], 0.8123);
        assert_eq!(v["learning"], false);
        assert_eq!(v["factors"][0]["observed"], 1.2346);
        assert_eq!(v["factors"].as_array().map(Vec::len), Some(3));
        assert_eq!(v["summary"], "volume 4.4×; off-hours");
        let learning = RiskAssessment {
            learning: true,
            factors: vec![],
            ..a
        };
        assert!(learning
            .explain()
            .starts_with("within the baseline (learning"));
    }
}
