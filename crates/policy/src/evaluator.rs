//! The per-call evaluator: one prepared engine clone per worker, evaluating
//! `data.behavry.decision` under an execution time limit.
//!
//! Fail-closed mapping (the caller denies on every error):
//! - undefined decision → `EvalError::Undefined`
//! - time limit exceeded twice in a row → `EvalError::Timeout`
//! - anything not exactly `{result, reasons}` → `EvalError::Malformed`
//! - any other evaluation error → `EvalError::Failed`

use crate::input_value::input_value;
use crate::set::{timer_config, ENTRY_POINT};
use behavry_core::{EvalError, Evaluate, PolicyInput, PolicyVerdict};
use regorus::{Engine, LimitError, Value};
use std::time::Duration;

/// Evaluates the policy set it was created from. Cheap to create (one
/// engine clone); give each worker its own, evaluation needs `&mut self`.
#[derive(Clone)]
pub struct PolicyEvaluator {
    engine: Engine,
    revision: String,
}

impl std::fmt::Debug for PolicyEvaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyEvaluator")
            .field("revision", &self.revision)
            .finish()
    }
}

impl PolicyEvaluator {
    pub(crate) fn new(engine: Engine, revision: String) -> Self {
        PolicyEvaluator { engine, revision }
    }

    /// Replace the per-decision execution time limit.
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.engine.set_execution_timer_config(timer_config(limit));
        self
    }
}

impl Evaluate for PolicyEvaluator {
    fn evaluate(&mut self, input: &PolicyInput) -> Result<PolicyVerdict, EvalError> {
        let value = input_value(input).map_err(EvalError::Failed)?;
        evaluate_value(&mut self.engine, value)
    }

    fn revision(&self) -> &str {
        &self.revision
    }
}

/// Evaluate the entry point for `input` on `engine` and validate the result.
pub(crate) fn evaluate_value(
    engine: &mut Engine,
    input: Value,
) -> Result<PolicyVerdict, EvalError> {
    engine.set_input(input);
    let outcome = engine.eval_rule(ENTRY_POINT.to_string());
    // Do not keep the caller's arguments alive in the engine between calls.
    engine.set_input(Value::Undefined);
    let value = outcome.map_err(classify_error)?;
    if value == Value::Undefined {
        return Err(EvalError::Undefined);
    }
    let json = serde_json::to_value(&value).map_err(|e| EvalError::Malformed(e.to_string()))?;
    PolicyVerdict::from_json(&json).map_err(EvalError::Malformed)
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
