//! Behavry's policy engine: Rego policy sets evaluated with regorus.
//!
//! A policy set is a directory of `*.rego` modules and optional `*.json`
//! data files. It must define `data.behavry.decision`, whose value is
//! `{"result": "allow"|"deny"|"intercept", "reasons": [string...]}`.
//! A set is only ever activated after it parsed, compiled and passed its own
//! `test_*` rules; a failed reload keeps the previous set (fail closed:
//! never run without a validated policy). See docs/policy.md.
//!
//! Decisions run on regorus' bytecode VM when the set's entry point compiles
//! to it and the VM decides a generated corpus exactly like the interpreter
//! (checked at every load, see [`differential`]); otherwise on the
//! interpreter. [`PolicySet::engine`] and [`PolicyStatus::engine`] say which.

pub mod differential;
mod error;
mod evaluator;
mod handle;
mod input_value;
mod rules;
mod rvm;
mod set;
mod source;
mod testing;
mod watcher;

pub use error::PolicyLoadError;
pub use evaluator::{EvalEngine, PolicyEvaluator};
pub use handle::{LiveEvaluator, PolicyHandle, PolicyStatus};
pub use input_value::{input_value, json_value};
pub use set::{PolicySet, DEFAULT_EVAL_TIME_LIMIT, ENTRY_POINT, TEST_TIME_LIMIT};
pub use testing::{run_tests, TestReport, TestResult};
pub use watcher::{PolicyWatcher, WatchError, DEFAULT_DEBOUNCE};
