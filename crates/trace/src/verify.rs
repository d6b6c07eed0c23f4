//! Verifying a stored trace: every record hash is recomputed, every link
//! checked, every checkpoint's signature, Merkle root and last hash checked,
//! and the first bad record is named with what was done to it.
//!
//! Records are pushed in ascending sequence order, as stored; checkpoints
//! are added (ascending) before the records they cover. The verifier looks
//! one record ahead to tell a deletion, an insertion or a swap from an edit.
//!
//! What it can and cannot see:
//! - an edit, deletion, insertion, swap or renumbering of records is
//!   located exactly when the attacker did not recompute the hashes after
//!   it;
//! - when they did recompute them, the first checkpoint over the changed
//!   range no longer matches (`CheckpointMismatch`, naming the range);
//! - truncation is seen when records covered by a checkpoint are missing;
//!   records after the last checkpoint are protected by the chain alone
//!   until the next checkpoint seals them (see [`VerifyReport::unsealed`]).

use crate::hash::record_hash;
use crate::merkle::MerkleAccumulator;
use crate::{Checkpoint, TraceHash, TracePublicKey};
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt;

/// One stored trace row with its chain fields, as read from a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub seq: u64,
    /// Indexed columns; they must agree with the body.
    pub decision_id: String,
    pub kind: String,
    pub time_nanos: i64,
    /// The event text the hash covers.
    pub body: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What was found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The record's content, indexed columns or hash were changed.
    Modified,
    /// The record is missing.
    Deleted,
    /// The record was not written by the gateway.
    Inserted,
    /// The record was moved.
    Reordered,
    /// Records from here on, covered by a checkpoint, are missing.
    Truncated,
    /// A checkpoint's signature, key or shape is wrong.
    BadSignature,
    /// Records in a checkpoint's range are self-consistent but are not the
    /// ones it sealed (the chain was recomputed after a change).
    CheckpointMismatch,
    /// No checkpoint covers records that a later checkpoint follows.
    CheckpointMissing,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            FailureKind::Modified => "modified",
            FailureKind::Deleted => "deleted",
            FailureKind::Inserted => "inserted",
            FailureKind::Reordered => "reordered",
            FailureKind::Truncated => "truncated",
            FailureKind::BadSignature => "bad checkpoint signature",
            FailureKind::CheckpointMismatch => "checkpoint mismatch",
            FailureKind::CheckpointMissing => "checkpoint missing",
        };
        f.write_str(text)
    }
}

/// The first problem found: the record it concerns and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("record {seq}: {kind}: {detail}")]
pub struct VerifyFailure {
    pub seq: u64,
    pub kind: FailureKind,
    pub detail: String,
}

/// A trace that verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub records: u64,
    pub checkpoints: u64,
    /// Highest sequence number covered by a verified checkpoint (0: none).
    pub sealed_through: u64,
    /// Records after `sealed_through`: chained but not yet signed.
    pub unsealed: u64,
    /// The last record's sequence number and hash.
    pub head: Option<(u64, TraceHash)>,
}

fn fail(seq: u64, kind: FailureKind, detail: impl Into<String>) -> VerifyFailure {
    VerifyFailure {
        seq,
        kind,
        detail: detail.into(),
    }
}

/// Streaming verifier; see the module documentation.
#[derive(Debug)]
pub struct ChainVerifier {
    key: TracePublicKey,
    queued: VecDeque<Checkpoint>,
    current: Option<(Checkpoint, MerkleAccumulator)>,
    next_checkpoint_first: u64,
    expected: u64,
    head: TraceHash,
    before_head: TraceHash,
    pending: Option<StoredRecord>,
    records: u64,
    checkpoints: u64,
    sealed_through: u64,
    failed: Option<VerifyFailure>,
}

impl ChainVerifier {
    pub fn new(key: TracePublicKey) -> Self {
        ChainVerifier {
            key,
            queued: VecDeque::new(),
            current: None,
            next_checkpoint_first: 1,
            expected: 1,
            head: TraceHash::GENESIS,
            before_head: TraceHash::GENESIS,
            pending: None,
            records: 0,
            checkpoints: 0,
            sealed_through: 0,
            failed: None,
        }
    }

    /// A verifier for the records after `seq`, whose hash is `hash` (the
    /// last record a checkpoint sealed). Checkpoints added must start after
    /// `seq`.
    pub fn resume_after(key: TracePublicKey, seq: u64, hash: TraceHash) -> Self {
        let mut verifier = Self::new(key);
        verifier.expected = seq + 1;
        verifier.next_checkpoint_first = seq + 1;
        verifier.sealed_through = seq;
        verifier.head = hash;
        verifier.before_head = hash;
        verifier
    }

    /// Queue checkpoints, ascending, before pushing the records they cover.
    pub fn add_checkpoints(&mut self, checkpoints: impl IntoIterator<Item = Checkpoint>) {
        self.queued.extend(checkpoints);
    }

    /// The highest `last_seq` queued or being checked, if any.
    pub fn checkpoints_known_through(&self) -> Option<u64> {
        self.queued
            .back()
            .or(self.current.as_ref().map(|(cp, _)| cp))
            .map(|cp| cp.last_seq)
    }

    /// Check the next stored record. After the first failure every call
    /// returns that failure.
    pub fn push(&mut self, record: StoredRecord) -> Result<(), VerifyFailure> {
        if let Some(failure) = &self.failed {
            return Err(failure.clone());
        }
        if let Some(previous) = self.pending.take() {
            let result = self.process(&previous, Some(&record));
            if let Err(failure) = result {
                self.failed = Some(failure.clone());
                return Err(failure);
            }
        }
        self.pending = Some(record);
        Ok(())
    }

    /// Check the last record and the checkpoints beyond it.
    pub fn finish(mut self) -> Result<VerifyReport, VerifyFailure> {
        if let Some(failure) = self.failed.take() {
            return Err(failure);
        }
        if let Some(last) = self.pending.take() {
            self.process(&last, None)?;
        }
        let beyond = self
            .current
            .take()
            .map(|(cp, _)| cp)
            .into_iter()
            .chain(self.queued.drain(..))
            .next();
        if let Some(cp) = beyond {
            self.key
                .verify(&cp)
                .map_err(|e| fail(cp.first_seq, FailureKind::BadSignature, e.to_string()))?;
            return Err(fail(
                self.expected,
                FailureKind::Truncated,
                format!(
                    "checkpoint {}..={} covers records that are missing from {} on",
                    cp.first_seq, cp.last_seq, self.expected
                ),
            ));
        }
        let last_seq = self.expected - 1;
        Ok(VerifyReport {
            records: self.records,
            checkpoints: self.checkpoints,
            sealed_through: self.sealed_through,
            unsealed: last_seq - self.sealed_through,
            head: (last_seq > 0).then_some((last_seq, self.head)),
        })
    }

    fn process(
        &mut self,
        r: &StoredRecord,
        next: Option<&StoredRecord>,
    ) -> Result<(), VerifyFailure> {
        let e = self.expected;
        if r.seq < e {
            return Err(fail(
                r.seq,
                FailureKind::Inserted,
                "the sequence number appears twice",
            ));
        }
        if r.seq > e {
            return Err(fail(
                e,
                FailureKind::Deleted,
                format!("records {e}..={} are missing", r.seq - 1),
            ));
        }
        let (Ok(prev), Ok(hash)) = (
            TraceHash::from_hex(&r.prev_hash),
            TraceHash::from_hex(&r.hash),
        ) else {
            return Err(fail(
                e,
                FailureKind::Modified,
                "its chain fields are not hashes",
            ));
        };
        if !belongs_at(r, e) {
            return Err(self.classify_misfit(r, &prev, next));
        }
        if prev != self.head {
            return Err(if e == 1 {
                fail(
                    1,
                    FailureKind::Modified,
                    "it does not start from the genesis hash",
                )
            } else {
                fail(
                    e - 1,
                    FailureKind::Modified,
                    format!("its hash is not the one record {e} commits to"),
                )
            });
        }
        check_columns(r).map_err(|detail| fail(e, FailureKind::Modified, detail))?;
        if let Some(n) = next.filter(|n| n.seq == e + 1) {
            if belongs_at(n, e) {
                return Err(fail(e, FailureKind::Inserted, INSERTED));
            }
            if belongs_at(n, e + 1) && TraceHash::from_hex(&n.prev_hash) != Ok(hash) {
                return Err(fail(
                    e,
                    FailureKind::Modified,
                    format!("its hash is not the one record {} commits to", e + 1),
                ));
            }
        }
        self.before_head = self.head;
        self.head = hash;
        self.expected += 1;
        self.records += 1;
        self.seal(e, &hash)
    }

    /// `r`, stored at the expected position, does not hash to its own hash
    /// there: find out why.
    fn classify_misfit(
        &self,
        r: &StoredRecord,
        prev: &TraceHash,
        next: Option<&StoredRecord>,
    ) -> VerifyFailure {
        let e = self.expected;
        match origin(r, e) {
            Some(s) if s > e => {
                let next_is_e =
                    next.is_some_and(|n| TraceHash::from_hex(&n.prev_hash) == Ok(self.head));
                let shifted_run = next.is_none_or(|n| belongs_at(n, s + 1));
                if s == e + 1 && next_is_e {
                    fail(
                        e,
                        FailureKind::Reordered,
                        format!("record {s} is stored before it"),
                    )
                } else if shifted_run {
                    fail(
                        e,
                        FailureKind::Deleted,
                        format!(
                            "records {e}..={} are missing and later records were renumbered",
                            s - 1
                        ),
                    )
                } else {
                    fail(
                        e,
                        FailureKind::Reordered,
                        format!("record {s} is stored in its place"),
                    )
                }
            }
            Some(s) if s + 1 == e && *prev == self.before_head => {
                fail(s, FailureKind::Inserted, INSERTED)
            }
            Some(s) => fail(
                s,
                FailureKind::Inserted,
                format!("records {s}..={} were not written by the gateway", e - 1),
            ),
            None if next.is_some_and(|n| belongs_at(n, e)) => {
                fail(e, FailureKind::Inserted, INSERTED)
            }
            None => fail(
                e,
                FailureKind::Modified,
                "its content does not match its hash",
            ),
        }
    }

    /// Feed an accepted record into the checkpoint that covers it.
    fn seal(&mut self, seq: u64, hash: &TraceHash) -> Result<(), VerifyFailure> {
        if self.current.is_none() && self.queued.front().is_some_and(|cp| cp.first_seq <= seq) {
            if let Some(cp) = self.queued.pop_front() {
                self.open_checkpoint(cp, seq)?;
            }
        }
        let Some((cp, acc)) = self.current.as_mut() else {
            return Ok(());
        };
        acc.push(hash);
        if seq < cp.last_seq {
            return Ok(());
        }
        if acc.root() != Some(cp.merkle_root) || *hash != cp.last_hash {
            return Err(fail(
                cp.first_seq,
                FailureKind::CheckpointMismatch,
                format!(
                    "records {}..={} are not the ones their signed checkpoint sealed",
                    cp.first_seq, cp.last_seq
                ),
            ));
        }
        self.checkpoints += 1;
        self.sealed_through = seq;
        self.next_checkpoint_first = seq + 1;
        self.current = None;
        Ok(())
    }

    fn open_checkpoint(&mut self, cp: Checkpoint, seq: u64) -> Result<(), VerifyFailure> {
        self.key
            .verify(&cp)
            .map_err(|e| fail(cp.first_seq, FailureKind::BadSignature, e.to_string()))?;
        let want = self.next_checkpoint_first;
        if cp.first_seq > want {
            return Err(fail(
                want,
                FailureKind::CheckpointMissing,
                format!("no checkpoint covers records {want}..={}", cp.first_seq - 1),
            ));
        }
        if cp.first_seq != seq || cp.first_seq < want {
            return Err(fail(
                cp.first_seq,
                FailureKind::CheckpointMismatch,
                format!(
                    "checkpoint {}..={} overlaps an earlier one",
                    cp.first_seq, cp.last_seq
                ),
            ));
        }
        self.current = Some((cp, MerkleAccumulator::new()));
        Ok(())
    }
}

const INSERTED: &str = "it was not written by the gateway; the records after it were renumbered";

/// How far from its position a moved record is looked for.
const ORIGIN_WINDOW: u64 = 256;

/// The position other than `at` where `r`'s content hashes to its hash.
fn origin(r: &StoredRecord, at: u64) -> Option<u64> {
    (1..=ORIGIN_WINDOW).find_map(|d| {
        [at.checked_add(d), at.checked_sub(d).filter(|s| *s > 0)]
            .into_iter()
            .flatten()
            .find(|s| belongs_at(r, *s))
    })
}

/// True when `r`'s stored hash is the hash of its content at `seq`.
fn belongs_at(r: &StoredRecord, seq: u64) -> bool {
    match (
        TraceHash::from_hex(&r.prev_hash),
        TraceHash::from_hex(&r.hash),
    ) {
        (Ok(prev), Ok(hash)) => record_hash(seq, &prev, &r.body).is_ok_and(|h| h == hash),
        _ => false,
    }
}

/// The indexed columns must say what the hashed body says.
fn check_columns(r: &StoredRecord) -> Result<(), String> {
    let body: serde_json::Value =
        serde_json::from_str(&r.body).map_err(|_| "its body is not json".to_string())?;
    let field = |name: &str| body.get(name).and_then(serde_json::Value::as_str);
    if field("decision_id") != Some(r.decision_id.as_str()) {
        return Err("its decision_id column differs from its body".into());
    }
    if field("kind") != Some(r.kind.as_str()) {
        return Err("its kind column differs from its body".into());
    }
    let time = field("time")
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|t| t.unix_timestamp_nanos());
    if time != Some(i128::from(r.time_nanos)) {
        return Err("its time column differs from its body".into());
    }
    Ok(())
}

/// Verify a whole trace held in memory.
pub fn verify_chain(
    records: impl IntoIterator<Item = StoredRecord>,
    checkpoints: impl IntoIterator<Item = Checkpoint>,
    key: &TracePublicKey,
) -> Result<VerifyReport, VerifyFailure> {
    let mut verifier = ChainVerifier::new(*key);
    verifier.add_checkpoints(checkpoints);
    for record in records {
        verifier.push(record)?;
    }
    verifier.finish()
}
