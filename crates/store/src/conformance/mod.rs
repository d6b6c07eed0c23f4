//! The backend-agnostic storage test suite. Every backend must pass it:
//! `tests/sqlite.rs` runs it against SQLite, and a future PostgreSQL backend
//! runs the same functions.
//!
//! Each check takes a [`Store`] (so it can race tasks against it), uses
//! freshly generated names and ids, and asserts relative to the state it
//! finds, so checks can run one after another on the same store. The trace
//! contiguity check needs to be the only writer while it runs. A failed
//! expectation panics with a description; a store error is returned.

// This module is a test suite (compiled only with the `conformance`
// feature): failing loudly is its job.
#![allow(clippy::panic)]

mod agents;
mod approvals;
mod trace;

pub use agents::{
    agents_create_list_and_lookup, agents_reject_duplicates_and_bad_hashes,
    agents_revoke_is_idempotent, agents_rotate_credential,
};
pub use approvals::{
    approvals_concurrent_resolution_has_one_winner, approvals_double_resolution_conflicts,
    approvals_expiry, approvals_lifecycle, approvals_list_order_and_limit,
};
pub use trace::{
    sample_decision_event, trace_append_contiguous_under_concurrency, trace_tail_and_decision_order,
};

use crate::{Store, StoreError};

/// Run every check in sequence against `store`.
pub async fn run_all(store: &Store) -> Result<(), StoreError> {
    ping(store).await?;
    settings_round_trip(store).await?;
    agents_create_list_and_lookup(store).await?;
    agents_reject_duplicates_and_bad_hashes(store).await?;
    agents_revoke_is_idempotent(store).await?;
    agents_rotate_credential(store).await?;
    approvals_lifecycle(store).await?;
    approvals_double_resolution_conflicts(store).await?;
    approvals_concurrent_resolution_has_one_winner(store).await?;
    approvals_expiry(store).await?;
    approvals_list_order_and_limit(store).await?;
    trace_append_contiguous_under_concurrency(store).await?;
    trace_tail_and_decision_order(store).await?;
    Ok(())
}

pub async fn ping(store: &Store) -> Result<(), StoreError> {
    store.ping().await
}

pub async fn settings_round_trip(store: &Store) -> Result<(), StoreError> {
    let key = format!("setting-{}", unique());
    assert_eq!(store.get_setting(&key).await?, None);
    store.put_setting(&key, "first").await?;
    assert_eq!(store.get_setting(&key).await?.as_deref(), Some("first"));
    store.put_setting(&key, "second").await?;
    assert_eq!(store.get_setting(&key).await?.as_deref(), Some("second"));
    Ok(())
}

/// A short unique suffix for names and keys.
pub(crate) fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A well-formed (64 lowercase hex digit) credential hash, unique per call.
pub fn fresh_credential_hash() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
