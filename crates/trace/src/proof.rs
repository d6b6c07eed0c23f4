//! Self-contained proofs that a decision is in the trace.
//!
//! A [`DecisionProof`] holds, for each sealed event of one decision, the
//! event text exactly as hashed, its chain fields, the signed checkpoint
//! that covers it and the Merkle audit path from its record hash to that
//! checkpoint's root. Checking it needs only the deployment's public key:
//! no database, no other record.

use crate::hash::record_hash;
use crate::merkle::{inclusion_path, merkle_root, verify_inclusion};
use crate::{Checkpoint, CheckpointError, StoredRecord, TraceHash, TracePublicKey};
use serde::{Deserialize, Serialize};

/// The `format` member of every proof this version writes.
pub const PROOF_FORMAT: &str = "behavry-trace-proof/1";

/// Longest audit path accepted (a tree of 2^64 leaves).
const MAX_PATH: usize = 64;

/// Proof that one record is in the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordProof {
    pub seq: u64,
    pub prev_hash: TraceHash,
    pub hash: TraceHash,
    /// The stored event text, exactly as hashed.
    pub record: String,
    /// Position of the record in the checkpoint's tree (`seq - first_seq`).
    pub leaf_index: u64,
    pub audit_path: Vec<TraceHash>,
    pub checkpoint: Checkpoint,
}

/// Proof that a decision and its later events are in the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionProof {
    pub format: String,
    pub decision_id: String,
    /// Key id of the public key that checks every checkpoint in the proof.
    pub key_id: String,
    /// Ascending by sequence number: the decision, then its approval and
    /// outcome events when a checkpoint already covers them.
    pub records: Vec<RecordProof>,
}

/// What a verified proof shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvenDecision {
    pub decision_id: String,
    /// `(seq, kind)` of every proven event.
    pub events: Vec<(u64, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("unsupported proof format `{0}`")]
    Format(String),
    #[error("the proof names key {found}, the public key given is {expected}")]
    WrongKey { expected: String, found: String },
    #[error("the proof holds no record")]
    Empty,
    #[error("record {seq}: {detail}")]
    Record { seq: u64, detail: String },
    #[error("record {seq}: checkpoint: {source}")]
    Checkpoint { seq: u64, source: CheckpointError },
    #[error("record {seq} is not covered by checkpoint {first}..={last}")]
    NotCovered { seq: u64, first: u64, last: u64 },
    #[error("the hashes given for checkpoint {first}..={last} do not match it")]
    RangeMismatch { first: u64, last: u64 },
}

impl RecordProof {
    /// Build the proof of `record` from the checkpoint covering it and the
    /// record hashes of that checkpoint's whole range, in order.
    pub fn build(
        record: &StoredRecord,
        checkpoint: &Checkpoint,
        range_hashes: &[TraceHash],
    ) -> Result<RecordProof, ProofError> {
        let (first, last) = (checkpoint.first_seq, checkpoint.last_seq);
        if record.seq < first || record.seq > last {
            return Err(ProofError::NotCovered {
                seq: record.seq,
                first,
                last,
            });
        }
        let range_matches = u64::try_from(range_hashes.len()).ok() == Some(checkpoint.tree_size)
            && merkle_root(range_hashes) == Some(checkpoint.merkle_root)
            && range_hashes.last() == Some(&checkpoint.last_hash);
        if !range_matches {
            return Err(ProofError::RangeMismatch { first, last });
        }
        let record_err = |detail: &str| ProofError::Record {
            seq: record.seq,
            detail: detail.to_string(),
        };
        let prev_hash = TraceHash::from_hex(&record.prev_hash)
            .map_err(|_| record_err("its previous hash is malformed"))?;
        let hash =
            TraceHash::from_hex(&record.hash).map_err(|_| record_err("its hash is malformed"))?;
        let leaf_index = record.seq - first;
        let index = usize::try_from(leaf_index).map_err(|_| record_err("index out of range"))?;
        if range_hashes.get(index) != Some(&hash) {
            return Err(record_err("its hash is not the one the checkpoint sealed"));
        }
        let audit_path =
            inclusion_path(range_hashes, index).ok_or_else(|| record_err("index out of range"))?;
        Ok(RecordProof {
            seq: record.seq,
            prev_hash,
            hash,
            record: record.body.clone(),
            leaf_index,
            audit_path,
            checkpoint: checkpoint.clone(),
        })
    }

    /// Check the record hash, the audit path and the checkpoint signature.
    pub fn verify(&self, key: &TracePublicKey) -> Result<(), ProofError> {
        let seq = self.seq;
        let cp = &self.checkpoint;
        key.verify(cp)
            .map_err(|source| ProofError::Checkpoint { seq, source })?;
        if seq < cp.first_seq || seq > cp.last_seq || self.leaf_index != seq - cp.first_seq {
            return Err(ProofError::NotCovered {
                seq,
                first: cp.first_seq,
                last: cp.last_seq,
            });
        }
        let recomputed =
            record_hash(seq, &self.prev_hash, &self.record).map_err(|e| ProofError::Record {
                seq,
                detail: e.to_string(),
            })?;
        if recomputed != self.hash {
            return Err(ProofError::Record {
                seq,
                detail: "the record does not match its hash".into(),
            });
        }
        if self.audit_path.len() > MAX_PATH
            || !verify_inclusion(
                self.leaf_index,
                cp.tree_size,
                &self.hash,
                &self.audit_path,
                &cp.merkle_root,
            )
        {
            return Err(ProofError::Record {
                seq,
                detail: "the audit path does not lead to the checkpoint's root".into(),
            });
        }
        Ok(())
    }
}

impl DecisionProof {
    /// Check every record proof and that they all belong to this decision.
    pub fn verify(&self, key: &TracePublicKey) -> Result<ProvenDecision, ProofError> {
        if self.format != PROOF_FORMAT {
            return Err(ProofError::Format(self.format.clone()));
        }
        let expected = key.key_id();
        if self.key_id != expected {
            return Err(ProofError::WrongKey {
                expected,
                found: self.key_id.clone(),
            });
        }
        let mut events = Vec::with_capacity(self.records.len());
        let mut last_seq = 0;
        for proof in &self.records {
            let record_err = |detail: &str| ProofError::Record {
                seq: proof.seq,
                detail: detail.to_string(),
            };
            if proof.seq <= last_seq {
                return Err(record_err("records are not in ascending order"));
            }
            last_seq = proof.seq;
            proof.verify(key)?;
            let body: serde_json::Value = serde_json::from_str(&proof.record)
                .map_err(|_| record_err("the record is not json"))?;
            let field = |name: &str| body.get(name).and_then(serde_json::Value::as_str);
            if field("decision_id") != Some(self.decision_id.as_str()) {
                return Err(record_err("the record belongs to another decision"));
            }
            events.push((proof.seq, field("kind").unwrap_or_default().to_string()));
        }
        if events.is_empty() {
            return Err(ProofError::Empty);
        }
        Ok(ProvenDecision {
            decision_id: self.decision_id.clone(),
            events,
        })
    }
}
