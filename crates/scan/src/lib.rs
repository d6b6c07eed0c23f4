//! `behavry-scan`: content scanners for tool calls, with no I/O.
//!
//! A [`Scanner`] takes a JSON value (call arguments, a tool result, a tool
//! definition) and returns a [`ScanReport`]: findings `{kind, severity,
//! confidence, path, span, evidence (redacted), scanner}` plus scores.
//! Every string is normalised first ([`normalize`]); then the scanners for
//! the channel run: secrets, PII and dangerous arguments on arguments;
//! injection, secrets and PII on results; injection and hidden content on
//! tool definitions ([`poisoning`]). [`ScanReport::to_policy_value`] is
//! `input.scan`; [`actions`] redacts or spotlights a result; [`pin`]
//! hashes and diffs tool definitions.
//!
//! Invariants: no network or file I/O; total work is linear in the input
//! and bounded by [`ScanConfig::max_bytes`] — over-cap input is scanned up
//! to the cap and reported as `truncated`, never passed silently.

pub mod actions;
pub mod dangerous;
pub mod eval;
pub mod finding;
pub mod injection;
pub mod learned;
pub mod normalize;
pub mod pii;
pub mod pin;
pub mod poisoning;
mod regexes;
pub mod report;
pub mod secrets;
mod walk;

pub use finding::{Finding, Kind, Severity, Span};
pub use report::{Channel, ScanReport};

use serde_json::Value;

/// Errors building a scanner (only from configuration: rule files, models).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Rules(#[from] secrets::RuleFileError),
    #[error("built-in pattern failed to compile: {0}")]
    Pattern(String),
    #[error("injection model: {0}")]
    Model(#[from] learned::ModelError),
}

/// Limits and switches. `Default` is what the gateway uses.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanConfig {
    /// Bytes of string content scanned per value; the rest is reported as
    /// truncated. Default 1 MiB.
    pub max_bytes: usize,
    /// Findings kept per report (the count of dropped ones is kept).
    pub max_findings: usize,
    /// Injection scores at or above this produce an `injection` finding.
    pub injection_report_threshold: f32,
    /// Use the learned layer for injection scores. Off by default: on
    /// held-out sources it did worse than the rule layer (docs/scanning.md).
    pub learned: bool,
    /// An operator secret-rule file (TOML text) extending the built-in one.
    pub secret_rules: Option<String>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            max_bytes: 1 << 20,
            max_findings: 256,
            injection_report_threshold: 0.5,
            learned: false,
            secret_rules: None,
        }
    }
}

/// All scanners, compiled once and shared (`Send + Sync`; scanning takes `&self`).
#[derive(Debug)]
pub struct Scanner {
    config: ScanConfig,
    secrets: secrets::SecretScanner,
    pii: pii::PiiScanner,
    dangerous: dangerous::DangerousScanner,
    injection: injection::InjectionScanner,
    poisoning: poisoning::PoisoningScorer,
}

impl Scanner {
    /// Builds every scanner. Fails only on a bad operator rule file or a
    /// corrupt built-in model.
    pub fn new(config: ScanConfig) -> Result<Scanner, ScanError> {
        let pattern = |e: &dyn std::fmt::Display| ScanError::Pattern(e.to_string());
        let model = if config.learned {
            Some(learned::LinearModel::builtin()?)
        } else {
            None
        };
        Ok(Scanner {
            secrets: secrets::SecretScanner::with_rules(config.secret_rules.as_deref())?,
            pii: pii::PiiScanner::new().map_err(|e| pattern(&e))?,
            dangerous: dangerous::DangerousScanner::new().map_err(|e| pattern(&e))?,
            injection: injection::InjectionScanner::new(model).map_err(|e| pattern(&e))?,
            poisoning: poisoning::PoisoningScorer::new().map_err(|e| pattern(&e))?,
            config,
        })
    }

    pub fn config(&self) -> &ScanConfig {
        &self.config
    }

    pub fn secret_rules_revision(&self) -> &str {
        self.secrets.revision()
    }

    /// Scans `tools/call` arguments (before the call is decided).
    pub fn scan_arguments(&self, arguments: &Value) -> ScanReport {
        walk::scan(self, arguments, Channel::Arguments)
    }

    /// Scans a tool result (before it is returned to the agent).
    pub fn scan_result(&self, result: &Value) -> ScanReport {
        walk::scan(self, result, Channel::Result)
    }

    /// Scans a tool definition (`name`, `description`, `inputSchema`, ...).
    pub fn scan_tool_definition(&self, definition: &Value) -> ScanReport {
        let mut report = walk::scan(self, definition, Channel::Description);
        poisoning::assess(
            &self.poisoning,
            &mut report,
            definition,
            self.config.injection_report_threshold,
        );
        report
    }

    /// The injection score of a user prompt (over-defence measurement; the
    /// gateway scans tool traffic, not prompts).
    pub fn prompt_score(&self, prompt: &str) -> f32 {
        self.injection
            .score_prompt(&normalize::normalize(prompt).text)
    }

    /// Scans a bare string as the given channel.
    pub fn scan_text(&self, text: &str, channel: Channel) -> ScanReport {
        match channel {
            Channel::Description => self.scan_tool_definition(&Value::String(text.to_string())),
            _ => walk::scan(self, &Value::String(text.to_string()), channel),
        }
    }
}
