//! Behavry's configuration file: parse, collect every error, validate
//! without I/O, then hand out a typed `Config`.
//!
//! The phases mirror `behavry config check`: `parse` (TOML with unknown
//! fields rejected) → `validate` (all problems collected, no I/O) →
//! `Config`. Secret references (`${env:NAME}`) are checked for syntax here
//! and resolved only when the gateway starts (`resolve_secrets`).

mod approvals;
mod raw;
mod risk;
mod scan;
mod secrets;
mod sinks;
mod validate;
mod workflows;

pub use approvals::{ApprovalsConfig, NotificationConfig, NotificationKind, NOTIFICATION_EVENTS};
pub use risk::{valid_tool_pattern, RiskSettings};
pub use scan::{ScanSettings, DEFAULT_SCAN_MAX_BYTES};
pub use secrets::{resolve_secret, SecretError};
pub use sinks::{SinkConfig, SinkEncoding, SinkKind, SinkStart, SinkTarget, SinkTlsConfig};
pub use validate::{
    valid_upstream_name, AdminConfig, Config, PolicyConfig, ServerConfig, StorageConfig,
    TraceConfig, UpstreamConfig, UpstreamTransportConfig,
};
pub use workflows::{FlowModeSetting, WorkflowSettings, MAX_DEPTH_CEILING};

use std::path::Path;

/// Every problem found in a configuration file, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl ConfigError {
    fn one(problem: impl Into<String>) -> Self {
        ConfigError {
            problems: vec![problem.into()],
        }
    }
}

/// Parse and validate configuration text. `base_dir` resolves relative paths
/// (normally the directory holding the file).
pub fn parse(text: &str, base_dir: &Path) -> Result<Config, ConfigError> {
    let raw: raw::RawConfig =
        toml::from_str(text).map_err(|e| ConfigError::one(e.to_string().trim().to_string()))?;
    validate::validate(raw, base_dir)
}

/// Read, parse and validate a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::one(format!("cannot read {}: {e}", path.display())))?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parse(&text, base)
}
