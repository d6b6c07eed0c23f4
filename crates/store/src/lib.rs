//! Behavry's persistent state: registered agents, settings, pending human
//! approvals and the append-only Decision Trace.
//!
//! Callers hold a [`Store`], a cheap-to-clone handle over any
//! [`StoreBackend`]. Embedded SQLite ([`SqliteStore`]) is the default
//! backend; other backends plug in behind the same trait without changes to
//! callers, and are checked by the shared `conformance` suite (feature
//! `conformance`).
//!
//! Invariants:
//! - Agent credentials are stored only as hex SHA-256 hashes; no type here
//!   prints a hash in its `Debug` output and no error message contains one.
//! - Trace events are append-only and numbered by contiguous sequence numbers
//!   assigned by the store; `append_trace` returns only after the event is
//!   durably committed (see [`sqlite::trace_writer`] for the group-commit
//!   guarantee).
//! - Approval resolution is an atomic compare-and-set from `pending`: at most
//!   one resolution of an approval ever succeeds.

mod backend;
mod error;
mod model;
pub mod sqlite;
mod store;
mod timestamp;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use backend::StoreBackend;
pub use error::StoreError;
pub use model::{AgentRecord, ApprovalRecord, ApprovalStatus, NewAgent, NewApproval};
pub use sqlite::SqliteStore;
pub use store::{Durability, Store};
