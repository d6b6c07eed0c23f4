//! A loaded, validated policy set: the prepared regorus engine plus the
//! revision that identifies it.
//!
//! Invariants (a `PolicySet` value only exists if all hold):
//! - every `*.rego` file parsed (all parse errors are reported together);
//! - every `*.json` data file is a JSON object and merged without conflict;
//! - the set compiles and defines `data.behavry.decision`, which evaluates
//!   without error for an empty input (a smoke test: regorus reports some
//!   defects, such as unsafe variables, only when a rule is evaluated);
//! - every `test_*` rule of the set evaluates to `true`.
//!
//! Decisions run on the bytecode VM when the entry point compiles to it and
//! the VM decides a corpus of inputs exactly like the interpreter
//! (`differential`); otherwise on the interpreter, with the reason kept in
//! [`PolicySet::engine_fallback`] and logged once at load. The interpreter
//! engine is always kept: tests (`with` needs it) and the fallback use it.

use crate::differential::{
    check_agreement, load_corpus, CHECK_EVAL_TIME_LIMIT, LOAD_CHECK_TIME_BUDGET,
};
use crate::error::PolicyLoadError;
use crate::evaluator::{EvalEngine, PolicyEvaluator};
use crate::input_value::json_value;
use crate::rules::{list_rules, RuleInfo};
use crate::rvm::RvmProgram;
use crate::source::{data_document, read_sources, revision_of, SourceFile, SourceKind};
use crate::testing::{run_engine_tests, TestReport};
use behavry_core::{EvalError, PolicyVerdict};
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::Engine;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The rule every policy set must define; its value is the decision.
pub const ENTRY_POINT: &str = "data.behavry.decision";
/// Default execution time limit of one decision.
pub const DEFAULT_EVAL_TIME_LIMIT: Duration = Duration::from_millis(50);
/// Execution time limit of one `test_*` rule.
pub const TEST_TIME_LIMIT: Duration = Duration::from_secs(5);

/// Work units between two clock reads of the execution timer; a clock read
/// on every unit would cost more than some whole decisions.
const TIMER_CHECK_INTERVAL: u32 = 32;

pub(crate) fn timer_config(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit,
        check_interval: NonZeroU32::MIN.saturating_add(TIMER_CHECK_INTERVAL - 1),
    }
}

/// A validated policy set, ready to evaluate.
#[derive(Clone)]
pub struct PolicySet {
    engine: Engine,
    /// The bytecode program, when it was admitted by the differential check.
    rvm: Option<Arc<RvmProgram>>,
    /// Why decisions run on the interpreter, when they do.
    engine_fallback: Option<String>,
    revision: String,
    files: Vec<String>,
    tests: TestReport,
    eval_time_limit: Duration,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("revision", &self.revision)
            .field("engine", &self.engine())
            .field("files", &self.files)
            .field("tests", &self.tests.total())
            .field("eval_time_limit", &self.eval_time_limit)
            .finish()
    }
}

impl PolicySet {
    /// Load, validate and self-test the policy set in `dir` with the default
    /// decision time limit.
    pub fn load_dir(dir: &Path) -> Result<PolicySet, PolicyLoadError> {
        PolicySet::load_dir_with_limit(dir, DEFAULT_EVAL_TIME_LIMIT)
    }

    /// As [`PolicySet::load_dir`], with `eval_time_limit` per decision.
    pub fn load_dir_with_limit(
        dir: &Path,
        eval_time_limit: Duration,
    ) -> Result<PolicySet, PolicyLoadError> {
        let files = read_sources(dir)?;
        let revision = revision_of(&files);
        let (mut engine, rules) = compile_sources(&files)?;
        if !defines_entry_point(&rules) {
            return Err(PolicyLoadError::MissingEntryPoint);
        }
        smoke_test_entry_point(&engine)?;
        let tests = TestReport::from_results(revision.clone(), run_engine_tests(&engine, &rules));
        if !tests.all_passed() {
            return Err(PolicyLoadError::TestsFailed {
                failures: tests.failure_lines(),
                report: tests,
            });
        }
        let (rvm, engine_fallback) = match admit_rvm(&engine) {
            Ok(program) => (Some(program), None),
            Err(why) => {
                tracing::warn!(
                    revision = %revision,
                    "policy set decides on the interpreter (slower), the bytecode VM was not used: {why}"
                );
                (None, Some(why))
            }
        };
        engine.set_execution_timer_config(timer_config(eval_time_limit));
        Ok(PolicySet {
            engine,
            rvm,
            engine_fallback,
            revision,
            files: files.into_iter().map(|f| f.relative).collect(),
            tests,
            eval_time_limit,
        })
    }

    /// Short hex SHA-256 of the set's files and contents.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// Relative paths of the files the set was loaded from, sorted.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The self-test run that admitted this set.
    pub fn test_report(&self) -> &TestReport {
        &self.tests
    }

    pub fn eval_time_limit(&self) -> Duration {
        self.eval_time_limit
    }

    /// The engine that decides calls: `Rvm` unless the set fell back.
    pub fn engine(&self) -> EvalEngine {
        if self.rvm.is_some() {
            EvalEngine::Rvm
        } else {
            EvalEngine::Interpreter
        }
    }

    /// Why the set decides on the interpreter (unsupported construct or a
    /// differential mismatch); `None` when it runs on the bytecode VM.
    pub fn engine_fallback(&self) -> Option<&str> {
        self.engine_fallback.as_deref()
    }

    /// An evaluator on the set's engine (cheap: no engine is built).
    pub fn evaluator(&self) -> PolicyEvaluator {
        self.evaluator_on(self.engine())
            .unwrap_or_else(|| self.interpreter_evaluator())
    }

    /// An evaluator on a specific engine; `None` for `Rvm` when the set does
    /// not run on the bytecode VM. For comparing engines and benchmarks.
    pub fn evaluator_on(&self, engine: EvalEngine) -> Option<PolicyEvaluator> {
        match engine {
            EvalEngine::Interpreter => Some(self.interpreter_evaluator()),
            EvalEngine::Rvm => self.rvm.as_ref().map(|program| {
                PolicyEvaluator::rvm(
                    Arc::clone(program),
                    self.revision.clone(),
                    self.eval_time_limit,
                )
            }),
        }
    }

    fn interpreter_evaluator(&self) -> PolicyEvaluator {
        PolicyEvaluator::interpreter(
            self.engine.clone(),
            self.revision.clone(),
            self.eval_time_limit,
        )
    }

    /// Evaluate the decision for an arbitrary JSON input document (used by
    /// `behavry policy eval`); the same engine and checks as the hot path.
    pub fn evaluate_json(&self, input: &serde_json::Value) -> Result<PolicyVerdict, EvalError> {
        let value = json_value(input).map_err(EvalError::Failed)?;
        self.evaluator().evaluate_value(value)
    }
}

/// Compile the entry point to bytecode and check that it decides the
/// differential corpus exactly like the interpreter.
fn admit_rvm(engine: &Engine) -> Result<Arc<RvmProgram>, String> {
    let program = Arc::new(RvmProgram::compile(engine)?);
    let data = serde_json::to_value(engine.get_data())
        .map_err(|e| format!("policy data is not representable: {e}"))?;
    let corpus = load_corpus(&data);
    let mut reference = engine.clone();
    reference.set_execution_timer_config(timer_config(CHECK_EVAL_TIME_LIMIT));
    let mut reference =
        PolicyEvaluator::interpreter(reference, String::new(), CHECK_EVAL_TIME_LIMIT);
    let mut candidate =
        PolicyEvaluator::rvm(Arc::clone(&program), String::new(), CHECK_EVAL_TIME_LIMIT);
    check_agreement(
        &mut reference,
        &mut candidate,
        &corpus,
        LOAD_CHECK_TIME_BUDGET,
    )?;
    Ok(program)
}

/// regorus checks some errors (such as unsafe variables) only when a rule
/// is evaluated, so the entry point is evaluated once with an empty input:
/// an error there is a defect of the set, not of a call.
fn smoke_test_entry_point(engine: &Engine) -> Result<(), PolicyLoadError> {
    let mut engine = engine.clone();
    engine.set_execution_timer_config(timer_config(TEST_TIME_LIMIT));
    engine.set_input(regorus::Value::new_object());
    match engine.eval_rule(ENTRY_POINT.to_string()) {
        Ok(_) => Ok(()),
        Err(err) => Err(PolicyLoadError::Compile(format!(
            "evaluating {ENTRY_POINT} with an empty input failed: {}",
            err.to_string().trim()
        ))),
    }
}

fn defines_entry_point(rules: &[RuleInfo]) -> bool {
    rules.iter().any(|rule| {
        let path = rule.path();
        path.len() >= 2 && path[0] == "behavry" && path[1] == "decision"
    })
}

/// Parse every module and merge every data file into one prepared engine.
/// Parse errors of all files are collected before failing.
pub(crate) fn compile_sources(
    files: &[SourceFile],
) -> Result<(Engine, Vec<RuleInfo>), PolicyLoadError> {
    let mut engine = Engine::new();
    let mut parse_errors = Vec::new();
    for file in files.iter().filter(|f| f.kind == SourceKind::Rego) {
        if let Err(err) = engine.add_policy(file.relative.clone(), file.content.clone()) {
            let message = err.to_string().trim().to_string();
            if message.contains(&file.relative) {
                parse_errors.push(message);
            } else {
                parse_errors.push(format!("{}: {message}", file.relative));
            }
        }
    }
    if !parse_errors.is_empty() {
        return Err(PolicyLoadError::Parse(parse_errors));
    }
    for file in files.iter().filter(|f| f.kind == SourceKind::Data) {
        let data_error = |message: String| PolicyLoadError::Data {
            path: file.relative.clone().into(),
            message,
        };
        let document = data_document(file).map_err(data_error)?;
        let value = json_value(&document).map_err(data_error)?;
        engine
            .add_data(value)
            .map_err(|e| data_error(e.to_string()))?;
    }
    let rules = list_rules(&mut engine).map_err(PolicyLoadError::Compile)?;
    // Evaluating a constant query makes regorus analyse and prepare the
    // modules now, so compile errors surface here and every clone of this
    // engine starts prepared.
    engine
        .eval_bool_query("true".to_string(), false)
        .map_err(|e| PolicyLoadError::Compile(e.to_string().trim().to_string()))?;
    Ok((engine, rules))
}
