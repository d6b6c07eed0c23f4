//! Each workflow's shared ledger in the store: budget counters, delegation
//! edges and the last sensitive reads, as one JSON document updated with
//! [`behavry_store::StoreBackend::update_workflow_ledger`], so concurrent
//! calls by every agent of a workflow (on any replica sharing the store)
//! are charged one after another and a limit is never exceeded.

use behavry_store::Store;
use behavry_workflow::{
    BudgetState, Charge, Hop, LedgerError, SensitiveRead, WorkflowBudget, WorkflowId,
    WorkflowLedger,
};
use serde::{Deserialize, Serialize};
use std::sync::{Mutex, PoisonError};
use time::OffsetDateTime;

/// Sensitive reads kept per workflow (the most recent).
pub const MAX_READS: usize = 64;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredLedger {
    pub ledger: WorkflowLedger,
    #[serde(default)]
    pub reads: Vec<SensitiveRead>,
}

impl StoredLedger {
    fn load(current: Option<&str>, budget: &WorkflowBudget) -> Result<Self, String> {
        match current {
            None => Ok(StoredLedger {
                ledger: WorkflowLedger::new(budget),
                reads: Vec::new(),
            }),
            Some(text) => serde_json::from_str(text)
                .map_err(|e| format!("stored workflow ledger is unreadable: {e}")),
        }
    }
}

fn expiry(budget: &WorkflowBudget) -> OffsetDateTime {
    i64::try_from(budget.expires)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Run `change` on the workflow's ledger atomically. A refusal it returns
/// is handed back unchanged; a store failure is `LedgerError::Backend`.
async fn update(
    store: &Store,
    budget: &WorkflowBudget,
    change: impl Fn(&mut StoredLedger) -> Result<BudgetState, LedgerError> + Send + Sync,
) -> Result<BudgetState, LedgerError> {
    let outcome: Mutex<Option<Result<BudgetState, LedgerError>>> = Mutex::new(None);
    let set = |r: Result<BudgetState, LedgerError>| {
        *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(r);
    };
    let apply = |current: Option<&str>| -> Result<String, String> {
        let mut doc = match StoredLedger::load(current, budget) {
            Ok(doc) => doc,
            Err(e) => {
                set(Err(LedgerError::Backend(e.clone())));
                return Err(e);
            }
        };
        match change(&mut doc) {
            Ok(state) => {
                let text = serde_json::to_string(&doc).map_err(|e| {
                    let e = format!("workflow ledger could not be encoded: {e}");
                    set(Err(LedgerError::Backend(e.clone())));
                    e
                })?;
                set(Ok(state));
                Ok(text)
            }
            Err(refusal) => {
                let text = refusal.to_string();
                set(Err(refusal));
                Err(text)
            }
        }
    };
    let written = store
        .update_workflow_ledger(budget.workflow.as_str(), expiry(budget), &apply)
        .await
        .map_err(|e| LedgerError::Backend(e.to_string()))?;
    let result = outcome
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .unwrap_or_else(|| {
            Err(LedgerError::Backend(
                "workflow ledger was not updated".into(),
            ))
        });
    match (written, result) {
        (Ok(_), Ok(state)) => Ok(state),
        (_, Err(e)) => Err(e),
        (Err(refusal), Ok(_)) => Err(LedgerError::Backend(refusal)),
    }
}

/// Before a call: register the chain's delegation edges and charge what is
/// known, all or nothing.
pub async fn admit(
    store: &Store,
    budget: &WorkflowBudget,
    chain: &[Hop],
    charge: &Charge,
) -> Result<BudgetState, LedgerError> {
    update(store, budget, |doc| doc.ledger.admit(budget, chain, charge)).await
}

/// After a call: add what it measured and remember a sensitive read.
pub async fn record(
    store: &Store,
    budget: &WorkflowBudget,
    usage: &Charge,
    read: Option<&SensitiveRead>,
) -> Result<BudgetState, LedgerError> {
    update(store, budget, |doc| {
        let state = doc.ledger.budgets.record(usage);
        if let Some(read) = read {
            doc.reads.push(read.clone());
            let excess = doc.reads.len().saturating_sub(MAX_READS);
            doc.reads.drain(..excess);
        }
        Ok(state)
    })
    .await
}

/// The ledger as stored, `None` before the workflow's first call.
pub async fn snapshot(
    store: &Store,
    workflow: &WorkflowId,
) -> Result<Option<StoredLedger>, LedgerError> {
    let text = store
        .get_workflow_ledger(workflow.as_str())
        .await
        .map_err(|e| LedgerError::Backend(e.to_string()))?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| LedgerError::Backend(format!("stored workflow ledger is unreadable: {e}")))
    })
    .transpose()
}
