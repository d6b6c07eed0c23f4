//! Where workflow ledgers live: the `BudgetStore` trait and its in-process
//! implementation.
//!
//! `admit` is the one pre-call operation: it registers the chain's
//! delegation edges (fan-out) and charges the budgets, atomically and
//! all-or-nothing, so concurrent calls by several agents of one workflow
//! cannot together exceed a limit. `record` adds what a call measured
//! afterwards. A database implementation must give `admit` the same
//! atomicity (one transaction with the ledger row locked, or a conditional
//! update per counter).
//!
//! Limits come from the workflow's signed root token, so every agent
//! charges the same limits and a ledger can be created on first use.

use crate::budget::{BudgetExceeded, BudgetLedger, BudgetLimits, BudgetState, Charge};
use crate::chain::{ChainInfo, Hop};
use crate::fanout::{FanoutExceeded, FanoutLedger, FanoutLimits};
use crate::ids::WorkflowId;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The workflow a charge is for, with its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowBudget {
    pub workflow: WorkflowId,
    pub limits: BudgetLimits,
    pub fanout: FanoutLimits,
    /// When the workflow ends (its root expiry, unix seconds); the ledger
    /// may be dropped after it.
    pub expires: u64,
}

impl WorkflowBudget {
    /// The budget of a verified chain; `max_agents` is the deployment's
    /// limit of distinct agents per workflow.
    pub fn of(chain: &ChainInfo, max_agents: Option<u32>) -> Self {
        WorkflowBudget {
            workflow: chain.workflow_id.clone(),
            limits: chain.budgets,
            fanout: FanoutLimits {
                per_hop: chain.max_fanout,
                agents: max_agents,
            },
            expires: chain.root_expires,
        }
    }
}

/// Why a ledger operation refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Budget(#[from] BudgetExceeded),
    #[error(transparent)]
    Fanout(#[from] FanoutExceeded),
    /// The store could not answer; the call must be denied.
    #[error("workflow ledger unavailable: {0}")]
    Backend(String),
}

impl LedgerError {
    /// Stable machine-readable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Budget(_) => "workflow_budget_exceeded",
            LedgerError::Fanout(_) => "workflow_fanout_exceeded",
            LedgerError::Backend(_) => "workflow_ledger_unavailable",
        }
    }
}

/// One workflow's shared state.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct WorkflowLedger {
    pub budgets: BudgetLedger,
    pub fanout: FanoutLedger,
    pub expires: u64,
}

impl WorkflowLedger {
    pub fn new(budget: &WorkflowBudget) -> Self {
        WorkflowLedger {
            budgets: BudgetLedger::new(budget.limits),
            fanout: FanoutLedger::default(),
            expires: budget.expires,
        }
    }

    /// Register the chain and charge, or change nothing.
    pub fn admit(
        &mut self,
        budget: &WorkflowBudget,
        chain: &[Hop],
        charge: &Charge,
    ) -> Result<BudgetState, LedgerError> {
        self.fanout.check(chain, budget.fanout)?;
        let state = self.budgets.try_charge(charge)?;
        self.fanout.apply(chain);
        Ok(state)
    }
}

/// Storage of workflow ledgers.
#[async_trait::async_trait]
pub trait BudgetStore: Send + Sync {
    /// Before a call: register the chain's edges and charge what is known.
    async fn admit(
        &self,
        budget: &WorkflowBudget,
        chain: &[Hop],
        charge: &Charge,
    ) -> Result<BudgetState, LedgerError>;

    /// After a call: add what it measured (rows, bytes, actual spend).
    async fn record(
        &self,
        budget: &WorkflowBudget,
        usage: &Charge,
    ) -> Result<BudgetState, LedgerError>;

    /// Current counters, when the workflow has a ledger.
    async fn state(&self, workflow: &WorkflowId) -> Result<Option<BudgetState>, LedgerError>;

    /// Drop the ledgers of workflows that ended before `now` (unix seconds).
    async fn prune(&self, now: u64) -> Result<usize, LedgerError>;
}

/// Ledgers in process memory, behind one lock.
#[derive(Debug, Default)]
pub struct MemoryBudgetStore {
    ledgers: Mutex<HashMap<WorkflowId, WorkflowLedger>>,
}

impl MemoryBudgetStore {
    pub fn new() -> Self {
        MemoryBudgetStore::default()
    }

    fn with_ledger<T>(
        &self,
        budget: &WorkflowBudget,
        f: impl FnOnce(&mut WorkflowLedger) -> T,
    ) -> T {
        let mut ledgers = self.ledgers.lock().unwrap_or_else(PoisonError::into_inner);
        let ledger = ledgers
            .entry(budget.workflow.clone())
            .or_insert_with(|| WorkflowLedger::new(budget));
        f(ledger)
    }

    /// Synchronous `admit`, for callers without an executor.
    pub fn admit_now(
        &self,
        budget: &WorkflowBudget,
        chain: &[Hop],
        charge: &Charge,
    ) -> Result<BudgetState, LedgerError> {
        self.with_ledger(budget, |ledger| ledger.admit(budget, chain, charge))
    }

    /// Synchronous `record`.
    pub fn record_now(&self, budget: &WorkflowBudget, usage: &Charge) -> BudgetState {
        self.with_ledger(budget, |ledger| ledger.budgets.record(usage))
    }

    /// Synchronous `state`.
    pub fn state_now(&self, workflow: &WorkflowId) -> Option<BudgetState> {
        let ledgers = self.ledgers.lock().unwrap_or_else(PoisonError::into_inner);
        ledgers.get(workflow).map(|l| l.budgets.state())
    }
}

#[async_trait::async_trait]
impl BudgetStore for MemoryBudgetStore {
    async fn admit(
        &self,
        budget: &WorkflowBudget,
        chain: &[Hop],
        charge: &Charge,
    ) -> Result<BudgetState, LedgerError> {
        self.admit_now(budget, chain, charge)
    }

    async fn record(
        &self,
        budget: &WorkflowBudget,
        usage: &Charge,
    ) -> Result<BudgetState, LedgerError> {
        Ok(self.record_now(budget, usage))
    }

    async fn state(&self, workflow: &WorkflowId) -> Result<Option<BudgetState>, LedgerError> {
        Ok(self.state_now(workflow))
    }

    async fn prune(&self, now: u64) -> Result<usize, LedgerError> {
        let mut ledgers = self.ledgers.lock().unwrap_or_else(PoisonError::into_inner);
        let before = ledgers.len();
        ledgers.retain(|_, ledger| ledger.expires >= now);
        Ok(before - ledgers.len())
    }
}
