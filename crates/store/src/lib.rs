//! Behavry's persistent state: registered agents, settings, pending human
//! approvals and the append-only Decision Trace.
//!
//! Callers hold a [`Store`], a cheap-to-clone handle over any
//! [`StoreBackend`]. Embedded SQLite ([`SqliteStore`]) is the default
//! backend; PostgreSQL ([`PostgresStore`]) holds the state of several
//! gateway replicas. Both sit behind the same trait without changes to
//! callers, and both pass the shared `conformance` suite (feature
//! `conformance`).
//!
//! Invariants:
//! - Agent credentials are stored only as hex SHA-256 hashes; no type here
//!   prints a hash in its `Debug` output and no error message contains one.
//! - Trace events are append-only and numbered by contiguous sequence numbers
//!   assigned by the store; `append_trace` returns only after the event is
//!   durably committed (see [`sqlite::trace_writer`] for the group-commit
//!   guarantee). Each stored event is hash-chained to the one before it and
//!   sealed by Ed25519-signed checkpoints ([`checkpointer`], `docs/trace.md`).
//! - Approval resolution is an atomic compare-and-set from `pending`: at most
//!   one resolution of an approval ever succeeds.

mod approval_model;
mod backend;
mod baseline_model;
pub mod checkpointer;
mod error;
mod model;
mod operator_model;
mod pin_model;
pub mod postgres;
pub mod sqlite;
mod store;
mod timestamp;
pub mod trace_key;
mod validate;
mod workflow_model;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use approval_model::{
    ApprovalRecord, ApprovalStatus, ApprovalVote, Grant, KillRecord, NewApproval, NewGrant,
    NewKill, NewVote,
};
pub use backend::StoreBackend;
pub use baseline_model::{BaselineKind, BaselineRecord};
pub use behavry_trace::{Checkpoint, StoredRecord};
pub use checkpointer::{seal_pending, CheckpointSchedule, Checkpointer, SealError};
pub use error::StoreError;
pub use model::{AgentRecord, NewAgent};
pub use operator_model::{
    ConsoleSessionRecord, NewConsoleSession, NewOperator, OperatorRecord, OperatorUpdate,
    OPERATOR_ROLES,
};
pub use pin_model::{NewToolPin, PinStatus, ToolPin};
pub use postgres::notify::{PgNotifyChannel, PgSubscription};
pub use postgres::{PostgresSettings, PostgresStore};
pub use sqlite::SqliteStore;
pub use store::{Durability, Store};
pub use trace_key::{ensure_trace_key, stored_public_key, TraceKeyError, TRACE_KEY_FILE};
pub use workflow_model::{LedgerUpdate, NewRevocation, RevocationRecord, WorkflowRecord};
