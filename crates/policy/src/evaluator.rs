//! The per-call evaluator: evaluates `data.behavry.decision` of one policy
//! set under an execution time limit, on the engine the set selected at
//! load (the bytecode VM, or the interpreter as the fallback).
//!
//! Fail-closed mapping (the caller denies on every error):
//! - undefined decision → `EvalError::Undefined`
//! - time limit exceeded twice in a row → `EvalError::Timeout` (one timeout
//!   is retried: a descheduled thread can exceed a wall-clock limit while
//!   the policy itself is fast)
//! - anything not exactly `{result, reasons}` → `EvalError::Malformed`
//! - any other evaluation error → `EvalError::Failed`

use crate::input_value::input_value;
use crate::rvm::{self, RvmProgram};
use crate::set::{timer_config, ENTRY_POINT};
use behavry_core::{EvalError, Evaluate, PolicyInput, PolicyVerdict};
use regorus::rvm::vm::RegoVM;
use regorus::{Engine, LimitError, Value};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// Which engine evaluates the decision of a policy set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvalEngine {
    /// regorus' bytecode VM: the fast path.
    Rvm,
    /// regorus' tree-walking interpreter: always correct reference, used
    /// when the set cannot be compiled to bytecode or the two disagree.
    Interpreter,
}

impl EvalEngine {
    pub fn as_str(self) -> &'static str {
        match self {
            EvalEngine::Rvm => "rvm",
            EvalEngine::Interpreter => "interpreter",
        }
    }
}

impl std::fmt::Display for EvalEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

enum Backend {
    Interpreter(Engine),
    Rvm {
        program: Arc<RvmProgram>,
        /// Checked out of the program's pool on first use, returned on drop.
        vm: Option<RegoVM>,
    },
}

/// Evaluates the policy set it was created from. Cheap to create; give each
/// worker its own, evaluation needs `&mut self`.
pub struct PolicyEvaluator {
    backend: Backend,
    revision: String,
    time_limit: Duration,
}

impl std::fmt::Debug for PolicyEvaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyEvaluator")
            .field("revision", &self.revision)
            .field("engine", &self.engine())
            .field("time_limit", &self.time_limit)
            .finish()
    }
}

impl Clone for PolicyEvaluator {
    fn clone(&self) -> Self {
        let backend = match &self.backend {
            Backend::Interpreter(engine) => Backend::Interpreter(engine.clone()),
            Backend::Rvm { program, .. } => Backend::Rvm {
                program: Arc::clone(program),
                vm: None,
            },
        };
        PolicyEvaluator {
            backend,
            revision: self.revision.clone(),
            time_limit: self.time_limit,
        }
    }
}

impl Drop for PolicyEvaluator {
    fn drop(&mut self) {
        if let Backend::Rvm { program, vm } = &mut self.backend {
            if let Some(vm) = vm.take() {
                program.check_in(vm);
            }
        }
    }
}

impl PolicyEvaluator {
    /// An interpreter evaluator over a prepared engine (whose timer is set).
    pub(crate) fn interpreter(engine: Engine, revision: String, time_limit: Duration) -> Self {
        PolicyEvaluator {
            backend: Backend::Interpreter(engine),
            revision,
            time_limit,
        }
    }

    pub(crate) fn rvm(program: Arc<RvmProgram>, revision: String, time_limit: Duration) -> Self {
        PolicyEvaluator {
            backend: Backend::Rvm { program, vm: None },
            revision,
            time_limit,
        }
    }

    /// Replace the per-decision execution time limit.
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        if let Backend::Interpreter(engine) = &mut self.backend {
            engine.set_execution_timer_config(timer_config(limit));
        }
        self
    }

    /// The engine this evaluator runs on.
    pub fn engine(&self) -> EvalEngine {
        match self.backend {
            Backend::Interpreter(_) => EvalEngine::Interpreter,
            Backend::Rvm { .. } => EvalEngine::Rvm,
        }
    }

    /// Evaluate the decision for an input document, validated; one timeout
    /// is retried before `EvalError::Timeout` is returned.
    ///
    /// On the bytecode VM only a well-formed verdict is returned as is;
    /// every other outcome (undefined, an error, a malformed value) is
    /// decided again by the interpreter, whose outcome is authoritative: the
    /// VM turns some errors into undefined values, the interpreter reports
    /// them, so errors keep their interpreter classification and message.
    pub(crate) fn evaluate_value(&mut self, input: Value) -> Result<PolicyVerdict, EvalError> {
        let time_limit = self.time_limit;
        match &mut self.backend {
            Backend::Interpreter(engine) => {
                retry_timeout_once(|| run_interpreter(engine, input.clone()))
            }
            Backend::Rvm { program, vm } => {
                let vm = match vm {
                    Some(vm) => vm,
                    None => vm.insert(program.check_out().map_err(EvalError::Failed)?),
                };
                let fast =
                    retry_timeout_once(|| rvm::run(vm, timer_config(time_limit), input.clone()));
                match fast {
                    Ok(verdict) => Ok(verdict),
                    Err(EvalError::Timeout) => Err(EvalError::Timeout),
                    Err(_) => {
                        let mut engine = program.reference_engine();
                        engine.set_execution_timer_config(timer_config(time_limit));
                        retry_timeout_once(|| run_interpreter(&mut engine, input.clone()))
                    }
                }
            }
        }
    }
}

/// Run `once` and validate its value; a timeout is retried once (a
/// descheduled thread can exceed a wall-clock limit while the policy itself
/// is fast).
fn retry_timeout_once(
    mut once: impl FnMut() -> Result<Value, EvalError>,
) -> Result<PolicyVerdict, EvalError> {
    let value = match once() {
        Err(EvalError::Timeout) => once(),
        other => other,
    }?;
    verdict_of(&value)
}

impl Evaluate for PolicyEvaluator {
    fn evaluate(&mut self, input: &PolicyInput) -> Result<PolicyVerdict, EvalError> {
        let value = input_value(input).map_err(EvalError::Failed)?;
        self.evaluate_value(value)
    }

    fn revision(&self) -> &str {
        &self.revision
    }
}

/// Evaluate the entry point for `input` on the interpreter `engine`.
fn run_interpreter(engine: &mut Engine, input: Value) -> Result<Value, EvalError> {
    engine.set_input(input);
    let outcome = engine.eval_rule(ENTRY_POINT.to_string());
    // Do not keep the caller's arguments alive in the engine between calls.
    engine.set_input(Value::Undefined);
    outcome.map_err(classify_error)
}

/// Validate the value of the entry point as a verdict.
fn verdict_of(value: &Value) -> Result<PolicyVerdict, EvalError> {
    if *value == Value::Undefined {
        return Err(EvalError::Undefined);
    }
    if contains_undefined(value) {
        return Err(EvalError::Malformed(
            "the decision contains an undefined value".to_string(),
        ));
    }
    let json = serde_json::to_value(value).map_err(|e| EvalError::Malformed(e.to_string()))?;
    PolicyVerdict::from_json(&json).map_err(EvalError::Malformed)
}

/// Whether an undefined value is nested in `value` (never valid JSON).
fn contains_undefined(value: &Value) -> bool {
    match value {
        Value::Undefined => true,
        Value::Array(items) => items.iter().any(contains_undefined),
        Value::Set(items) => items.iter().any(contains_undefined),
        Value::Object(fields) => fields
            .iter()
            .any(|(k, v)| contains_undefined(k) || contains_undefined(v)),
        _ => false,
    }
}

fn classify_error(err: impl AsRef<dyn std::error::Error + Send + Sync + 'static>) -> EvalError {
    let err = err.as_ref();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(LimitError::TimeLimitExceeded { .. }) = e.downcast_ref::<LimitError>() {
            return EvalError::Timeout;
        }
        source = e.source();
    }
    let message = err.to_string();
    if message.contains("exceeded time limit") {
        return EvalError::Timeout;
    }
    EvalError::Failed(message.trim().to_string())
}
