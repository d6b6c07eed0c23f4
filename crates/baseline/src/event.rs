//! The event format read by `behavry baseline eval` and written by the
//! synthetic generator: one JSON object per line (JSONL).
//!
//! ```json
//! {"time":"2026-03-03T10:14:00Z","agent":"data-analyst-primary","role":"analyst",
//!  "tool":"database.query","resource":"customers","volume":1200,
//!  "sensitive":true,"label":false}
//! ```
//!
//! Required: `time` (RFC 3339, or unix seconds as a number), `agent`,
//! `role`, `tool`. Optional: `resource`, `destination` (host),
//! `sensitive`, `outbound` (default false), `volume` (bytes or rows
//! returned, ≥ 0), `label` (true = anomalous), `kind` (the anomaly's kind)
//! and `incident` (groups the events of one anomaly for detection delay).
//! Unknown fields are refused so a misspelt field is not silently ignored.
//! Blank lines and lines starting with `#` are skipped.

use crate::observation::Observation;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Longest accepted string field, in bytes.
const MAX_FIELD: usize = 4096;

/// One labelled (or unlabelled) call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    #[serde(with = "event_time")]
    pub time: i64,
    pub agent: String,
    pub role: String,
    pub tool: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub outbound: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A line that is not a valid event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct EventError {
    pub line: usize,
    pub message: String,
}

impl Event {
    /// The observation the gateway would build for this call (with the
    /// result volume; see `Observation::at_decision`).
    pub fn observation(&self) -> Observation {
        Observation {
            time: self.time,
            agent: self.agent.clone(),
            role: self.role.clone(),
            tool: self.tool.clone(),
            resource: self.resource.clone(),
            destination_host: self.destination.clone(),
            sensitive: self.sensitive,
            outbound: self.outbound,
            volume: self.volume,
        }
    }

    fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("agent", &self.agent),
            ("role", &self.role),
            ("tool", &self.tool),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{name} must not be empty"));
            }
        }
        let optional = [
            &self.resource,
            &self.destination,
            &self.kind,
            &self.incident,
        ];
        let strings = [&self.agent, &self.role, &self.tool]
            .into_iter()
            .chain(optional.into_iter().flatten());
        for s in strings {
            if s.len() > MAX_FIELD {
                return Err(format!("a field is longer than {MAX_FIELD} bytes"));
            }
        }
        if let Some(v) = self.volume {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("volume must be a non-negative number, got {v}"));
            }
        }
        Ok(())
    }
}

/// Parse one line (numbered from 1 for messages). Blank and `#` lines give
/// `Ok(None)`.
pub fn parse_line(line_no: usize, line: &str) -> Result<Option<Event>, EventError> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let err = |message: String| EventError {
        line: line_no,
        message,
    };
    let event: Event = serde_json::from_str(trimmed).map_err(|e| err(e.to_string()))?;
    event.validate().map_err(err)?;
    Ok(Some(event))
}

/// Parse a whole JSONL text; the first bad line is the error.
pub fn parse_events(text: &str) -> Result<Vec<Event>, EventError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(e) = parse_line(i + 1, line)? {
            out.push(e);
        }
    }
    Ok(out)
}

/// One event as a JSONL line (without the newline).
pub fn to_line(event: &Event) -> Result<String, serde_json::Error> {
    serde_json::to_string(event)
}

/// Format unix seconds as RFC 3339 (UTC).
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

mod event_time {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(unix: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(*unix))
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        Float(f64),
    }

    // Years 1970 to 9999.
    const MAX_UNIX: i64 = 253_402_300_799;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        use serde::de::Error;
        let unix = match Raw::deserialize(d)? {
            Raw::Text(s) => OffsetDateTime::parse(&s, &Rfc3339)
                .map_err(|e| D::Error::custom(format!("time {s:?} is not RFC 3339: {e}")))?
                .unix_timestamp(),
            Raw::Int(i) => i,
            Raw::Float(f) if f.is_finite() => f.floor() as i64,
            Raw::Float(_) => return Err(D::Error::custom("time must be a finite number")),
        };
        if !(0..=MAX_UNIX).contains(&unix) {
            return Err(D::Error::custom("time must be between 1970 and 9999"));
        }
        Ok(unix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example_and_round_trips() {
        let line = r#"{"time":"2026-03-03T10:14:00Z","agent":"data-analyst-primary","role":"analyst","tool":"database.query","resource":"customers","volume":1200,"sensitive":true,"label":false}"#;
        let e = parse_line(1, line).unwrap().unwrap();
        assert_eq!(e.time, 1_772_532_840);
        assert_eq!(e.volume, Some(1200.0));
        assert!(e.sensitive && !e.outbound);
        let again = parse_line(1, &to_line(&e).unwrap()).unwrap().unwrap();
        assert_eq!(again, e);
        let unix = r#"{"time":1772532840,"agent":"a","role":"r","tool":"t"}"#;
        assert_eq!(parse_line(1, unix).unwrap().unwrap().time, 1_772_532_840);
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        let cases = [
            (
                r#"{"time":"yesterday","agent":"a","role":"r","tool":"t"}"#,
                "RFC 3339",
            ),
            (
                r#"{"time":1,"agent":"","role":"r","tool":"t"}"#,
                "agent must not be empty",
            ),
            (
                r#"{"time":1,"agent":"a","role":"r","tool":"t","volume":-1}"#,
                "volume",
            ),
            (
                r#"{"time":1,"agent":"a","role":"r","tool":"t","lable":true}"#,
                "unknown field",
            ),
            (
                r#"{"time":-5,"agent":"a","role":"r","tool":"t"}"#,
                "between 1970",
            ),
            (r#"{"agent":"a","role":"r","tool":"t"}"#, "missing field"),
            ("not json", "expected"),
        ];
        for (line, needle) in cases {
            let e = parse_line(7, line).unwrap_err();
            assert_eq!(e.line, 7);
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
        assert_eq!(parse_line(1, "  # comment").unwrap(), None);
        assert_eq!(parse_line(1, "").unwrap(), None);
    }
}
