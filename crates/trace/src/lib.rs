//! Tamper evidence for the Decision Trace. Pure: no I/O.
//!
//! - [`canonical`]: RFC 8785 encoding of an event, the stored record body;
//! - [`hash`]: the record hash chaining each record to the one before it;
//! - [`merkle`]: RFC 6962 Merkle trees over record hashes;
//! - [`checkpoint`]: Ed25519-signed checkpoints sealing ranges of records;
//! - [`verify`]: checking a stored trace, naming the first bad record;
//! - [`proof`]: self-contained proofs that a decision is in the trace.
//!
//! The formats are specified in `docs/trace.md`; changing any byte of them
//! is a new version.

pub mod canonical;
pub mod checkpoint;
pub mod hash;
pub mod merkle;
pub mod proof;
pub mod verify;

#[cfg(test)]
mod tests;

pub use canonical::{canonical_string, to_canonical_string, CanonicalError};
pub use checkpoint::{Checkpoint, CheckpointError, KeyError, TracePublicKey, TraceSigningKey};
pub use hash::{record_hash, HashError, TraceHash, MAX_SEQ, RECORD_VERSION};
pub use merkle::{inclusion_path, merkle_root, verify_inclusion, MerkleAccumulator};
pub use proof::{DecisionProof, ProofError, ProvenDecision, RecordProof, PROOF_FORMAT};
pub use verify::{
    verify_chain, ChainVerifier, FailureKind, StoredRecord, VerifyFailure, VerifyReport,
};

/// Encode an event as its stored record body: RFC 8785 JSON.
pub fn encode_event<T: serde::Serialize + ?Sized>(event: &T) -> Result<String, CanonicalError> {
    to_canonical_string(event)
}
