//! What a scanner reports: one [`Finding`] per thing it found.
//!
//! Invariants: `evidence` never carries a detected secret or personal value
//! in clear (see [`redact_value`]); `span` is a byte range into the original
//! string at `path` and always lies on character boundaries of that string.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of thing was found. The snake-case name is what policies see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Instructions aimed at the model inside data (tool results).
    Injection,
    /// Jailbreak wording (role-play overrides, "developer mode", ...).
    Jailbreak,
    /// Invisible or display-altering content: zero-width, tag characters,
    /// bidi overrides, ANSI escapes, mixed-script homoglyphs.
    HiddenText,
    /// An embedded base64 / URL-encoded / HTML-entity payload that decoded to text.
    EncodedPayload,
    /// A tool definition that carries instructions for the model.
    ToolPoisoning,
    /// A credential: provider key, token, private key, password assignment.
    Secret,
    /// Personal data: e-mail, phone, payment card, IBAN, national ID, IP, ...
    Pii,
    /// `../` sequences (in any encoding) or sensitive system paths.
    PathTraversal,
    /// Shell metacharacters chaining or substituting commands, code evaluation.
    CommandInjection,
    /// Commands that destroy data or hosts (`rm -rf /`, `mkfs`, `terraform destroy`, ...).
    DestructiveCommand,
    /// SQL injection payloads and destructive or unbounded SQL.
    SqlInjection,
    /// URLs aimed at cloud metadata, loopback, link-local or private networks.
    Ssrf,
    /// The input was larger than the configured cap; only a prefix was scanned.
    Truncated,
}

impl Kind {
    /// Every kind, in a fixed order (used to build `input.scan.kinds`).
    pub const ALL: [Kind; 13] = [
        Kind::Injection,
        Kind::Jailbreak,
        Kind::HiddenText,
        Kind::EncodedPayload,
        Kind::ToolPoisoning,
        Kind::Secret,
        Kind::Pii,
        Kind::PathTraversal,
        Kind::CommandInjection,
        Kind::DestructiveCommand,
        Kind::SqlInjection,
        Kind::Ssrf,
        Kind::Truncated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Injection => "injection",
            Kind::Jailbreak => "jailbreak",
            Kind::HiddenText => "hidden_text",
            Kind::EncodedPayload => "encoded_payload",
            Kind::ToolPoisoning => "tool_poisoning",
            Kind::Secret => "secret",
            Kind::Pii => "pii",
            Kind::PathTraversal => "path_traversal",
            Kind::CommandInjection => "command_injection",
            Kind::DestructiveCommand => "destructive_command",
            Kind::SqlInjection => "sql_injection",
            Kind::Ssrf => "ssrf",
            Kind::Truncated => "truncated",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is if it is true. Ordered: `Info < Low < ... < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses the rule-file spelling (`low`, `medium`, ...).
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// A byte range `[start, end)` into the original string at the finding's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// One thing a scanner found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    /// The rule that fired, e.g. `aws-access-key`, `zero_width`, `ssrf-metadata`.
    pub rule: String,
    pub severity: Severity,
    /// 0.0 ..= 1.0: how sure the scanner is that this is what it says.
    pub confidence: f32,
    /// JSON pointer (RFC 6901) to the string inside the scanned value; `""`
    /// for the value itself.
    pub path: String,
    /// Where in the original string, when the finding maps to one range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// Redacted description of what was found; never the raw secret.
    pub evidence: String,
    /// Which scanner produced the finding (`normalize`, `secrets`, `pii`, ...).
    pub scanner: String,
}

impl Finding {
    pub fn new(kind: Kind, rule: impl Into<String>, scanner: &str) -> Self {
        Finding {
            kind,
            rule: rule.into(),
            severity: Severity::Medium,
            confidence: 1.0,
            path: String::new(),
            span: None,
            evidence: String::new(),
            scanner: scanner.to_string(),
        }
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn confidence(mut self, confidence: f32) -> Self {
        self.confidence = confidence.clamp(0.0, 1.0);
        self
    }

    pub fn span(mut self, start: usize, end: usize) -> Self {
        self.span = Some(Span::new(start, end));
        self
    }

    pub fn evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = evidence.into();
        self
    }
}

/// Redacts a sensitive value for evidence: the first and last two characters
/// and the length (`AK…7Q (20 chars)`); values of eight characters or fewer
/// show nothing but their length.
pub fn redact_value(value: &str) -> String {
    let count = value.chars().count();
    if count <= 8 {
        return format!("[{count} chars]");
    }
    let head: String = value.chars().take(2).collect();
    let tail: String = value.chars().skip(count - 2).collect();
    format!("{head}…{tail} ({count} chars)")
}

/// Shortens free text (not secrets) for evidence: at most `max` characters,
/// control characters shown as `�`, with an ellipsis when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i >= max {
            out.push('…');
            break;
        }
        out.push(if c.is_control() && c != ' ' { ' ' } else { c });
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_edges_and_length() {
        assert_eq!(redact_value("AKIAABCDEFGHIJKLMNOP"), "AK…OP (20 chars)");
        assert_eq!(redact_value("short"), "[5 chars]");
        assert_eq!(redact_value("ééééééééé"), "éé…éé (9 chars)");
        let r = redact_value("ghp_0123456789abcdefghijklmnopqrstuvwxyz");
        assert!(!r.contains("0123456789"));
    }

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Info < Severity::Low);
        for s in ["info", "low", "medium", "high", "critical"] {
            assert_eq!(Severity::parse(s).map(Severity::as_str), Some(s));
        }
        assert_eq!(Severity::parse("severe"), None);
    }

    #[test]
    fn excerpt_cuts_and_cleans() {
        assert_eq!(excerpt("a\u{1b}b  c", 10), "a b c");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
