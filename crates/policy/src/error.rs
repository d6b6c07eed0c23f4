//! Why a policy set could not be loaded. Every variant carries enough detail
//! for an operator to fix the set without re-running anything: parse errors
//! are all collected (file:line:col), failing tests are all listed.

use crate::testing::TestReport;
use std::path::PathBuf;

#[derive(Debug, Clone, thiserror::Error)]
pub enum PolicyLoadError {
    #[error("cannot read policy path {path}: {message}")]
    Io { path: PathBuf, message: String },

    #[error("policy directory {0} contains no .rego files")]
    NoPolicies(PathBuf),

    #[error("policy set has {} parse error(s):\n{}", .0.len(), .0.join("\n"))]
    Parse(Vec<String>),

    #[error("policy data file {path} is invalid: {message}")]
    Data { path: PathBuf, message: String },

    #[error("policy set does not compile: {0}")]
    Compile(String),

    #[error("policy set does not define the entry point data.behavry.decision")]
    MissingEntryPoint,

    #[error("policy set has {} failing test(s):\n{}", .failures.len(), .failures.join("\n"))]
    TestsFailed {
        failures: Vec<String>,
        report: TestReport,
    },
}

impl PolicyLoadError {
    /// Every individual problem as its own line, for loud logging.
    pub fn messages(&self) -> Vec<String> {
        match self {
            PolicyLoadError::Parse(errors) => errors.clone(),
            PolicyLoadError::TestsFailed { failures, .. } => failures.clone(),
            other => vec![other.to_string()],
        }
    }
}

pub(crate) fn io_error(path: &std::path::Path, err: std::io::Error) -> PolicyLoadError {
    PolicyLoadError::Io {
        path: path.to_path_buf(),
        message: err.to_string(),
    }
}
