//! The fast evaluation path: `data.behavry.decision` compiled to regorus'
//! bytecode VM (RVM), with a pool of prepared VMs shared by the evaluators
//! of one policy set.
//!
//! Invariants:
//! - Only the entry point and what it references are compiled; `test_*`
//!   rules (which use `with`, unsupported by the VM) stay on the interpreter.
//! - A VM evaluates under the same wall-clock limit as the interpreter, with
//!   no instruction budget (the time limit is the only bound, as for the
//!   interpreter) and strict built-in errors (the interpreter's default).
//! - A VM keeps no state between evaluations that changes a result: every
//!   run resets its registers and caches; the input is cleared after each
//!   run. Idle VMs are pooled (at most [`MAX_IDLE_VMS`]) so that creating an
//!   evaluator per decision stays cheap.
//!
//! Known differences of the pinned VM (regorus 0.14.1) from the interpreter,
//! which is why a program is only used after the differential check and why
//! the evaluator lets the interpreter confirm every non-verdict outcome:
//! - an error inside a rule body (a failing built-in, division by zero, a
//!   type error) makes that body undefined instead of failing the whole
//!   evaluation;
//! - an array comprehension whose element is an undefined lookup
//!   (`[p | some k in ks; p := obj[k]]`) yields undefined elements instead
//!   of skipping them.

use crate::set::ENTRY_POINT;
use behavry_core::EvalError;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::{RegoVM, VmError};
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, Value};
use std::sync::{Arc, Mutex};

/// Idle VMs kept per policy set; more than the workers that evaluate at the
/// same time is useless, a VM beyond this is dropped when it is returned.
const MAX_IDLE_VMS: usize = 64;

/// The entry point compiled to bytecode, with its data document and the
/// interpreter engine it was compiled from (the reference that confirms
/// every outcome that is not a well-formed verdict).
pub(crate) struct RvmProgram {
    program: Arc<Program>,
    data: Value,
    reference: Engine,
    idle: Mutex<Vec<RegoVM>>,
}

impl std::fmt::Debug for RvmProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RvmProgram")
            .field("instructions", &self.program.instructions.len())
            .finish()
    }
}

impl RvmProgram {
    /// Compile the entry point of a prepared `engine` (which is not
    /// modified). Fails with a message when the policy uses a construct the
    /// bytecode compiler does not support.
    pub(crate) fn compile(engine: &Engine) -> Result<RvmProgram, String> {
        let compiled = engine
            .clone()
            .compile_with_entrypoint(&ENTRY_POINT.into())
            .map_err(|e| format!("cannot prepare {ENTRY_POINT}: {}", e.to_string().trim()))?;
        let program = Compiler::compile_from_policy(&compiled, &[ENTRY_POINT])
            .map_err(|e| format!("bytecode compiler: {}", e.to_string().trim()))?;
        let rvm = RvmProgram {
            program,
            data: engine.get_data(),
            reference: engine.clone(),
            idle: Mutex::new(Vec::new()),
        };
        // Surfaces rule/data conflicts now rather than on the first call.
        let vm = rvm.new_vm()?;
        rvm.check_in(vm);
        Ok(rvm)
    }

    /// A clone of the interpreter engine the program was compiled from.
    pub(crate) fn reference_engine(&self) -> Engine {
        self.reference.clone()
    }

    fn new_vm(&self) -> Result<RegoVM, String> {
        let mut vm = RegoVM::new();
        vm.load_program(Arc::clone(&self.program));
        vm.set_data(self.data.clone())
            .map_err(|e| format!("policy data conflicts with the rules: {e}"))?;
        vm.set_strict_builtin_errors(true);
        vm.set_max_instructions(usize::MAX);
        Ok(vm)
    }

    /// A prepared VM: an idle one from the pool, or a new one.
    pub(crate) fn check_out(&self) -> Result<RegoVM, String> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        match pooled {
            Some(vm) => Ok(vm),
            None => self.new_vm(),
        }
    }

    /// Return a VM to the pool (dropped if the pool is full).
    pub(crate) fn check_in(&self, vm: RegoVM) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < MAX_IDLE_VMS {
            idle.push(vm);
        }
    }
}

/// Run the entry point for `input` on `vm` under `timer`; the raw value
/// (possibly `Undefined`) or the classified error.
pub(crate) fn run(
    vm: &mut RegoVM,
    timer: ExecutionTimerConfig,
    input: Value,
) -> Result<Value, EvalError> {
    vm.set_execution_timer_config(Some(timer));
    vm.set_input(input);
    let outcome = vm.execute();
    // Do not keep the caller's arguments alive in the VM between calls.
    vm.set_input(Value::Undefined);
    outcome.map_err(classify_vm_error)
}

fn classify_vm_error(err: VmError) -> EvalError {
    match err {
        VmError::TimeLimitExceeded { .. } => EvalError::Timeout,
        other => EvalError::Failed(other.to_string().trim().to_string()),
    }
}
