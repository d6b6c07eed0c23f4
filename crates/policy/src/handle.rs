//! The shared, hot-swappable reference to the active policy set.
//!
//! Invariants:
//! - Readers never lock: `current()` is an `ArcSwap` load.
//! - A set is only swapped in after it fully loaded (parsed, compiled, its
//!   own tests passed); a failed reload keeps the previous set and records
//!   the error in the status.
//! - Reloads are serialized, so two concurrent reloads cannot interleave
//!   their status updates.

use crate::error::PolicyLoadError;
use crate::evaluator::EvalEngine;
use crate::set::PolicySet;
use arc_swap::ArcSwap;
use behavry_core::{EvalError, Evaluate, PolicyInput, PolicyVerdict};
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Reload state for metrics and readiness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyStatus {
    /// Revision of the active set.
    pub revision: String,
    /// When the active set was loaded (Unix milliseconds).
    pub loaded_at_unix_ms: u64,
    /// Successful reloads that changed the active set since start.
    pub reload_count: u64,
    /// Reloads rejected since start.
    pub failed_reload_count: u64,
    /// The error of the latest reload attempt, cleared by a successful one.
    pub last_error: Option<String>,
    /// Number of files and tests of the active set.
    pub files: usize,
    pub tests: usize,
    /// The engine deciding calls for the active set (`rvm` or `interpreter`).
    pub engine: EvalEngine,
    /// Why the active set decides on the interpreter, when it does.
    pub engine_fallback: Option<String>,
}

struct Shared {
    current: ArcSwap<PolicySet>,
    status: Mutex<PolicyStatus>,
    reload_lock: Mutex<()>,
}

/// Cheap-clone handle to the active policy set. `Send + Sync`.
#[derive(Clone)]
pub struct PolicyHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PolicyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyHandle")
            .field("revision", &self.current().revision())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn now_unix_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

impl PolicyHandle {
    pub fn new(set: PolicySet) -> Self {
        let status = PolicyStatus {
            revision: set.revision().to_string(),
            loaded_at_unix_ms: now_unix_ms(),
            reload_count: 0,
            failed_reload_count: 0,
            last_error: None,
            files: set.files().len(),
            tests: set.test_report().total(),
            engine: set.engine(),
            engine_fallback: set.engine_fallback().map(str::to_string),
        };
        PolicyHandle {
            shared: Arc::new(Shared {
                current: ArcSwap::from_pointee(set),
                status: Mutex::new(status),
                reload_lock: Mutex::new(()),
            }),
        }
    }

    /// Load `dir` and wrap it in a handle.
    pub fn load_dir(dir: &Path) -> Result<Self, PolicyLoadError> {
        PolicySet::load_dir(dir).map(PolicyHandle::new)
    }

    /// The active set (lock-free).
    pub fn current(&self) -> Arc<PolicySet> {
        self.shared.current.load_full()
    }

    pub fn revision(&self) -> String {
        self.shared.current.load().revision().to_string()
    }

    pub fn status(&self) -> PolicyStatus {
        lock(&self.shared.status).clone()
    }

    /// An evaluator that follows reloads when [`LiveEvaluator::refresh`] is
    /// called (re-cloning the engine only if the active set changed).
    pub fn evaluator(&self) -> LiveEvaluator {
        let set = self.current();
        LiveEvaluator {
            handle: self.clone(),
            evaluator: set.evaluator(),
            set,
        }
    }

    /// Load `dir` and, if it is valid, make it the active set. Returns the
    /// active revision. On failure the previous set stays active, the error
    /// is recorded in [`PolicyHandle::status`] and logged with every detail.
    pub fn reload_from(&self, dir: &Path) -> Result<String, PolicyLoadError> {
        let _serialized = lock(&self.shared.reload_lock);
        let limit = self.current().eval_time_limit();
        match PolicySet::load_dir_with_limit(dir, limit) {
            Ok(set) => Ok(self.install(set)),
            Err(err) => {
                let old = self.revision();
                tracing::error!(
                    dir = %dir.display(),
                    active_revision = %old,
                    errors = ?err.messages(),
                    "policy reload rejected, keeping the active policy set: {err}"
                );
                let mut status = lock(&self.shared.status);
                status.failed_reload_count += 1;
                status.last_error = Some(err.to_string());
                Err(err)
            }
        }
    }

    fn install(&self, set: PolicySet) -> String {
        let new = set.revision().to_string();
        let old = self.revision();
        let mut status = lock(&self.shared.status);
        status.last_error = None;
        if new == old {
            tracing::debug!(revision = %new, "policy reload found no change");
            return new;
        }
        status.revision = new.clone();
        status.loaded_at_unix_ms = now_unix_ms();
        status.reload_count += 1;
        status.files = set.files().len();
        status.tests = set.test_report().total();
        status.engine = set.engine();
        status.engine_fallback = set.engine_fallback().map(str::to_string);
        self.shared.current.store(Arc::new(set));
        tracing::info!(old_revision = %old, new_revision = %new, "policy set reloaded");
        new
    }
}

/// An [`Evaluate`] implementation bound to a [`PolicyHandle`].
///
/// It decides with the set that was active at its latest
/// [`LiveEvaluator::refresh`]; call `refresh` before each decision (it is a
/// lock-free pointer comparison) so that `revision()` and `evaluate()` of one
/// decision always refer to the same set. Alternatively take
/// `handle.current().evaluator()` per decision (an engine clone).
#[derive(Debug)]
pub struct LiveEvaluator {
    handle: PolicyHandle,
    set: Arc<PolicySet>,
    evaluator: crate::PolicyEvaluator,
}

impl LiveEvaluator {
    /// Switch to the active set if it changed since the previous refresh.
    pub fn refresh(&mut self) -> &mut Self {
        let current = self.handle.shared.current.load();
        if !Arc::ptr_eq(&current, &self.set) {
            self.set = Arc::clone(&current);
            self.evaluator = self.set.evaluator();
        }
        self
    }
}

impl Evaluate for LiveEvaluator {
    fn evaluate(&mut self, input: &PolicyInput) -> Result<PolicyVerdict, EvalError> {
        self.evaluator.evaluate(input)
    }

    fn revision(&self) -> &str {
        self.evaluator.revision()
    }
}
