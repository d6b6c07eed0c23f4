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
mod baselines;
mod controls;
mod operators;
mod pins;
mod trace;
mod trace_seal;
mod workflows;

pub use agents::{
    agents_create_list_and_lookup, agents_reject_duplicates_and_bad_hashes,
    agents_revoke_is_idempotent, agents_rotate_credential,
};
pub use approvals::{
    approvals_concurrent_resolution_has_one_winner, approvals_double_resolution_conflicts,
    approvals_expiry, approvals_lifecycle, approvals_list_order_and_limit,
};
pub use baselines::baselines_upsert_list_delete;
pub use controls::{
    approvals_concurrent_votes_count_once_each, approvals_found_by_call_and_collected_once,
    approvals_n_of_m_votes, grants_lifecycle, kill_switches_lifecycle,
};
pub use operators::{
    agent_last_activity_follows_decisions, console_sessions_end_with_password_change_and_disable,
    console_sessions_lifecycle, console_sessions_stale_are_removed,
    operators_create_list_update_disable,
};
pub use pins::tool_pins_lifecycle;
pub use trace::{
    sample_decision_event, trace_append_contiguous_under_concurrency, trace_tail_and_decision_order,
};
pub use trace_seal::{
    conformance_signing_key, trace_checkpoints_are_contiguous, trace_records_form_a_hash_chain,
    trace_sealing_covers_every_record, verify_stored_trace,
};
pub use workflows::{
    workflow_ledgers_are_pruned_after_expiry, workflow_ledgers_serialize_updates,
    workflows_record_list_and_revoke,
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
    approvals_n_of_m_votes(store).await?;
    approvals_concurrent_votes_count_once_each(store).await?;
    approvals_found_by_call_and_collected_once(store).await?;
    grants_lifecycle(store).await?;
    kill_switches_lifecycle(store).await?;
    trace_append_contiguous_under_concurrency(store).await?;
    trace_tail_and_decision_order(store).await?;
    trace_records_form_a_hash_chain(store).await?;
    trace_checkpoints_are_contiguous(store).await?;
    trace_sealing_covers_every_record(store).await?;
    operators_create_list_update_disable(store).await?;
    console_sessions_lifecycle(store).await?;
    console_sessions_end_with_password_change_and_disable(store).await?;
    console_sessions_stale_are_removed(store).await?;
    agent_last_activity_follows_decisions(store).await?;
    baselines_upsert_list_delete(store).await?;
    tool_pins_lifecycle(store).await?;
    workflows_record_list_and_revoke(store).await?;
    workflow_ledgers_serialize_updates(store).await?;
    workflow_ledgers_are_pruned_after_expiry(store).await?;
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
