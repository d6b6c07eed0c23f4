//! The policy test runner, `opa test` style: every rule named `test_*` in
//! any package is evaluated on its own; it passes only if it evaluates to
//! `true`. Undefined, any other value, or an evaluation error is a failure.

use crate::error::PolicyLoadError;
use crate::rules::{display_path, query_path, RuleInfo};
use crate::set::{compile_sources, TEST_TIME_LIMIT};
use crate::source::{read_sources, revision_of};
use regorus::{Engine, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

/// Outcome of one `test_*` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    /// Full rule path, e.g. `data.behavry.test_analyst_may_query`.
    pub name: String,
    /// Package path, e.g. `data.behavry`.
    pub package: String,
    pub rule: String,
    /// File and line of the rule's first definition.
    pub file: String,
    pub line: u32,
    pub passed: bool,
    /// Why it failed (`undefined`, the value it produced, or the error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_micros: u64,
}

/// Results of running every test of a policy set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    pub revision: String,
    pub passed: usize,
    pub failed: usize,
    pub results: Vec<TestResult>,
}

impl TestReport {
    pub fn all_passed(&self) -> bool {
        self.failed == 0
    }

    pub fn total(&self) -> usize {
        self.results.len()
    }

    /// One line per failing test: `name (file:line): why`.
    pub fn failure_lines(&self) -> Vec<String> {
        self.results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| {
                format!(
                    "{} ({}:{}): {}",
                    r.name,
                    r.file,
                    r.line,
                    r.error.as_deref().unwrap_or("failed")
                )
            })
            .collect()
    }

    pub(crate) fn from_results(revision: String, results: Vec<TestResult>) -> Self {
        let passed = results.iter().filter(|r| r.passed).count();
        let failed = results.len() - passed;
        TestReport {
            revision,
            passed,
            failed,
            results,
        }
    }
}

impl std::fmt::Display for TestReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for r in &self.results {
            let status = if r.passed { "PASS" } else { "FAIL" };
            writeln!(f, "{}: {} ({}µs)", r.name, status, r.duration_micros)?;
            if let Some(error) = &r.error {
                for line in error.lines() {
                    writeln!(f, "    {line}")?;
                }
            }
        }
        writeln!(f, "{}", "-".repeat(80))?;
        if self.passed > 0 || self.results.is_empty() {
            writeln!(f, "PASS: {}/{}", self.passed, self.total())?;
        }
        if self.failed > 0 {
            writeln!(f, "FAIL: {}/{}", self.failed, self.total())?;
        }
        Ok(())
    }
}

/// Load the policy set in `dir` and run all of its tests.
///
/// Unlike [`crate::PolicySet::load_dir`], failing tests and a missing entry
/// point are not errors here: the report says what failed. Unreadable files,
/// parse errors and invalid data are errors.
pub fn run_tests(dir: &Path) -> Result<TestReport, PolicyLoadError> {
    let files = read_sources(dir)?;
    let revision = revision_of(&files);
    let (engine, rules) = compile_sources(&files)?;
    Ok(TestReport::from_results(
        revision,
        run_engine_tests(&engine, &rules),
    ))
}

/// Evaluate every distinct `test_*` rule of `rules` on a clone of `engine`.
pub(crate) fn run_engine_tests(engine: &Engine, rules: &[RuleInfo]) -> Vec<TestResult> {
    let mut seen = BTreeSet::new();
    let mut results = Vec::new();
    for rule in rules.iter().filter(|r| r.is_test()) {
        let path = rule.path();
        if !seen.insert(path.clone()) {
            continue;
        }
        results.push(run_one(engine, rule, &path));
    }
    results
}

fn run_one(engine: &Engine, rule: &RuleInfo, path: &[String]) -> TestResult {
    let mut engine = engine.clone();
    engine.set_execution_timer_config(crate::set::timer_config(TEST_TIME_LIMIT));
    let started = Instant::now();
    let outcome = engine.eval_rule(query_path(path));
    let duration_micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let error = match outcome {
        Ok(Value::Bool(true)) => None,
        Ok(Value::Undefined) => {
            Some("undefined (a condition of the test did not hold)".to_string())
        }
        Ok(other) => Some(format!("evaluated to {other}, not true")),
        Err(err) => Some(format!("error: {err}")),
    };
    TestResult {
        name: display_path(path),
        package: display_path(&rule.package),
        rule: rule.head.join("."),
        file: rule.file.clone(),
        line: rule.line,
        passed: error.is_none(),
        error,
        duration_micros,
    }
}
