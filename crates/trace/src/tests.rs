//! Tamper tests over whole chains: every kind of change to a stored trace is
//! detected and located, and proofs fail when any byte of them changes.

use crate::*;
use proptest::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

const T0: i64 = 1_750_000_000_000_000_000;

struct Chain {
    records: Vec<StoredRecord>,
    checkpoints: Vec<Checkpoint>,
    key: TraceSigningKey,
}

impl Chain {
    fn verify(&self) -> Result<VerifyReport, VerifyFailure> {
        verify_chain(
            self.records.clone(),
            self.checkpoints.clone(),
            &self.key.public_key(),
        )
    }

    /// First sequence number of the checkpoint covering `seq`.
    fn checkpoint_start(&self, seq: u64) -> u64 {
        self.checkpoints
            .iter()
            .find(|c| c.first_seq <= seq && seq <= c.last_seq)
            .map(|c| c.first_seq)
            .unwrap()
    }
}

fn event_body(seq: u64, decision: &str, note: &str) -> (String, String, i64) {
    let kind = if seq % 3 == 0 { "outcome" } else { "decision" };
    let nanos = T0 + i64::try_from(seq).unwrap() * 1_000_123;
    let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let event = json!({
        "decision_id": decision,
        "time": time,
        "kind": kind,
        "tool": format!("tool-{seq}"),
        "arguments": {"note": note, "n": seq, "ratio": seq as f64 / 7.0},
    });
    (encode_event(&event).unwrap(), kind.to_string(), nanos)
}

fn record(seq: u64, decision: &str, note: &str, prev: &TraceHash) -> StoredRecord {
    let (body, kind, time_nanos) = event_body(seq, decision, note);
    let hash = record_hash(seq, prev, &body).unwrap();
    StoredRecord {
        seq,
        decision_id: decision.to_string(),
        kind,
        time_nanos,
        body,
        prev_hash: prev.to_hex(),
        hash: hash.to_hex(),
    }
}

fn decision_of(seq: u64) -> String {
    format!("d-{}", seq.div_ceil(3))
}

/// `n` records sealed by checkpoints of `every` records; the last
/// checkpoint seals the remainder when `seal_all`.
fn build(n: u64, every: u64, seal_all: bool) -> Chain {
    let key = TraceSigningKey::from_seed([9; 32]);
    let mut records = Vec::new();
    let mut prev = TraceHash::GENESIS;
    for seq in 1..=n {
        let r = record(seq, &decision_of(seq), "ctl\u{1}\"q\"\n", &prev);
        prev = TraceHash::from_hex(&r.hash).unwrap();
        records.push(r);
    }
    let mut checkpoints = Vec::new();
    let mut first = 1;
    while first <= n {
        let last = (first + every - 1).min(n);
        if last - first + 1 < every && !seal_all {
            break;
        }
        checkpoints.push(seal(&key, &records, first, last));
        first = last + 1;
    }
    Chain {
        records,
        checkpoints,
        key,
    }
}

fn hashes(records: &[StoredRecord], first: u64, last: u64) -> Vec<TraceHash> {
    records[first as usize - 1..last as usize]
        .iter()
        .map(|r| TraceHash::from_hex(&r.hash).unwrap())
        .collect()
}

fn seal(key: &TraceSigningKey, records: &[StoredRecord], first: u64, last: u64) -> Checkpoint {
    let range = hashes(records, first, last);
    key.sign(
        first,
        last,
        merkle_root(&range).unwrap(),
        *range.last().unwrap(),
        OffsetDateTime::UNIX_EPOCH,
    )
    .unwrap()
}

/// Recompute chain fields from index `from` on, keeping stored sequence numbers.
fn rechain(records: &mut [StoredRecord], from: usize) {
    for i in from..records.len() {
        let prev = if i == 0 {
            TraceHash::GENESIS
        } else {
            TraceHash::from_hex(&records[i - 1].hash).unwrap()
        };
        records[i].prev_hash = prev.to_hex();
        records[i].hash = record_hash(records[i].seq, &prev, &records[i].body)
            .unwrap()
            .to_hex();
    }
}

fn renumber(records: &mut [StoredRecord], from: usize, delta: i64) {
    for r in &mut records[from..] {
        r.seq = r.seq.checked_add_signed(delta).unwrap();
    }
}

#[derive(Debug, Clone)]
enum Tamper {
    ModifyBody(u64),
    ModifyColumn(u64),
    DeletePlain(u64),
    DeleteRenumber(u64),
    InsertGarbage(u64),
    InsertProper(u64),
    Swap(u64, u64),
    Truncate(u64),
    RehashOne(u64),
    RewriteSuffix(u64),
}

/// Apply `t`; returns the (seq, kind) `verify` must report.
fn apply(chain: &mut Chain, t: &Tamper) -> (u64, FailureKind) {
    let n = chain.records.len() as u64;
    let recs = &mut chain.records;
    let idx = |seq: u64| seq as usize - 1;
    match *t {
        Tamper::ModifyBody(s) => {
            recs[idx(s)].body = recs[idx(s)].body.replace("tool-", "tool_");
            (s, FailureKind::Modified)
        }
        Tamper::ModifyColumn(s) => {
            recs[idx(s)].decision_id.push('x');
            (s, FailureKind::Modified)
        }
        Tamper::DeletePlain(s) => {
            recs.remove(idx(s));
            (
                s,
                if s == n {
                    FailureKind::Truncated
                } else {
                    FailureKind::Deleted
                },
            )
        }
        Tamper::DeleteRenumber(s) => {
            recs.remove(idx(s));
            renumber(recs, idx(s), -1);
            (
                s,
                if s == n {
                    FailureKind::Truncated
                } else {
                    FailureKind::Deleted
                },
            )
        }
        Tamper::InsertGarbage(s) => {
            let mut forged = record(s, "forged", "x", &TraceHash::GENESIS);
            forged.hash = TraceHash::digest(b"garbage").to_hex();
            renumber(recs, idx(s), 1);
            recs.insert(idx(s), forged);
            (s, FailureKind::Inserted)
        }
        Tamper::InsertProper(s) => {
            let prev = if s == 1 {
                TraceHash::GENESIS
            } else {
                TraceHash::from_hex(&recs[idx(s - 1)].hash).unwrap()
            };
            let forged = record(s, "forged", "x", &prev);
            renumber(recs, idx(s), 1);
            recs.insert(idx(s), forged);
            (s, FailureKind::Inserted)
        }
        Tamper::Swap(a, b) => {
            let (ia, ib) = (idx(a), idx(b));
            recs.swap(ia, ib);
            recs[ia].seq = a;
            recs[ib].seq = b;
            (a, FailureKind::Reordered)
        }
        Tamper::Truncate(s) => {
            recs.truncate(idx(s));
            (s, FailureKind::Truncated)
        }
        Tamper::RehashOne(s) => {
            let r = &mut recs[idx(s)];
            r.body = r.body.replace("tool-", "tool_");
            let prev = TraceHash::from_hex(&r.prev_hash).unwrap();
            r.hash = record_hash(s, &prev, &r.body).unwrap().to_hex();
            if s == n {
                (chain.checkpoint_start(s), FailureKind::CheckpointMismatch)
            } else {
                (s, FailureKind::Modified)
            }
        }
        Tamper::RewriteSuffix(s) => {
            recs[idx(s)].body = recs[idx(s)].body.replace("tool-", "tool_");
            rechain(recs, idx(s));
            (chain.checkpoint_start(s), FailureKind::CheckpointMismatch)
        }
    }
}

fn tamper(n: u64) -> impl Strategy<Value = Tamper> {
    let s = 1..=n;
    prop_oneof![
        s.clone().prop_map(Tamper::ModifyBody),
        s.clone().prop_map(Tamper::ModifyColumn),
        s.clone().prop_map(Tamper::DeletePlain),
        s.clone().prop_map(Tamper::DeleteRenumber),
        s.clone().prop_map(Tamper::InsertGarbage),
        s.clone().prop_map(Tamper::InsertProper),
        (1..n, 1..n).prop_map(move |(a, d)| Tamper::Swap(a, (a + d).min(n).max(a + 1))),
        s.clone().prop_map(Tamper::Truncate),
        s.clone().prop_map(Tamper::RehashOne),
        s.prop_map(Tamper::RewriteSuffix),
    ]
}

fn chain_and_tamper() -> impl Strategy<Value = (u64, u64, Tamper)> {
    (2u64..48, 1u64..12).prop_flat_map(|(n, every)| (Just(n), Just(every), tamper(n)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_tamper_is_detected_and_located((n, every, t) in chain_and_tamper()) {
        let mut chain = build(n, every, true);
        prop_assert!(chain.verify().is_ok());
        let (seq, kind) = apply(&mut chain, &t);
        let failure = chain.verify().unwrap_err();
        prop_assert_eq!((failure.seq, failure.kind), (seq, kind), "{:?}: {}", t, failure);
    }

    #[test]
    fn a_checkpoint_with_any_bit_flipped_fails(n in 2u64..40, every in 1u64..10, which in any::<prop::sample::Index>(), bit in 0usize..512) {
        let mut chain = build(n, every, true);
        let k = which.index(chain.checkpoints.len());
        let first = chain.checkpoints[k].first_seq;
        let mut sig = hex::decode(&chain.checkpoints[k].signature).unwrap();
        sig[bit / 8] ^= 1 << (bit % 8);
        chain.checkpoints[k].signature = hex::encode(sig);
        let failure = chain.verify().unwrap_err();
        prop_assert_eq!((failure.seq, failure.kind), (first, FailureKind::BadSignature));
    }

    #[test]
    fn proofs_verify_and_fail_when_any_byte_changes(
        n in 1u64..40,
        every in 1u64..10,
        pick in any::<prop::sample::Index>(),
        byte in any::<prop::sample::Index>(),
        xor in 1u8..=255,
    ) {
        let chain = build(n, every, true);
        let seq = pick.index(n as usize) as u64 + 1;
        let proof = prove(&chain, &decision_of(seq));
        let key = chain.key.public_key();
        let proven = proof.verify(&key).unwrap();
        prop_assert!(proven.events.iter().any(|(s, _)| *s == seq));
        let mut bytes = serde_json::to_vec(&proof).unwrap();
        let i = byte.index(bytes.len());
        bytes[i] ^= xor;
        let verdict = serde_json::from_slice::<DecisionProof>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|p| p.verify(&key).map_err(|e| e.to_string()));
        prop_assert!(verdict.is_err(), "byte {} altered and still verified", i);
    }
}

fn prove(chain: &Chain, decision: &str) -> DecisionProof {
    let records = chain
        .records
        .iter()
        .filter(|r| r.decision_id == decision)
        .map(|r| {
            let cp = chain
                .checkpoints
                .iter()
                .find(|c| c.first_seq <= r.seq && r.seq <= c.last_seq)
                .unwrap();
            let range = hashes(&chain.records, cp.first_seq, cp.last_seq);
            RecordProof::build(r, cp, &range).unwrap()
        })
        .collect();
    DecisionProof {
        format: PROOF_FORMAT.to_string(),
        decision_id: decision.to_string(),
        key_id: chain.key.public_key().key_id(),
        records,
    }
}

#[test]
fn a_valid_chain_reports_its_extent() {
    let chain = build(25, 10, false);
    let report = chain.verify().unwrap();
    assert_eq!(report.records, 25);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.sealed_through, 20);
    assert_eq!(report.unsealed, 5);
    assert_eq!(report.head.map(|(s, _)| s), Some(25));
    let empty = verify_chain(Vec::new(), Vec::new(), &chain.key.public_key()).unwrap();
    assert_eq!((empty.records, empty.head), (0, None));
}

#[test]
fn unsealed_records_are_still_chained() {
    let mut chain = build(25, 10, false);
    chain.records[22].body = chain.records[22].body.replace("tool-", "tool_");
    let failure = chain.verify().unwrap_err();
    assert_eq!((failure.seq, failure.kind), (23, FailureKind::Modified));
}

#[test]
fn a_deleted_checkpoint_is_missing_unless_it_was_the_last() {
    let mut chain = build(30, 10, true);
    chain.checkpoints.remove(1);
    let failure = chain.verify().unwrap_err();
    assert_eq!(
        (failure.seq, failure.kind),
        (11, FailureKind::CheckpointMissing)
    );

    let mut chain = build(30, 10, true);
    chain.checkpoints.pop();
    let report = chain.verify().unwrap();
    assert_eq!((report.sealed_through, report.unsealed), (20, 10));
}

#[test]
fn another_key_is_a_bad_signature() {
    let chain = build(5, 5, true);
    let other = TraceSigningKey::from_seed([1; 32]).public_key();
    let failure =
        verify_chain(chain.records.clone(), chain.checkpoints.clone(), &other).unwrap_err();
    assert_eq!((failure.seq, failure.kind), (1, FailureKind::BadSignature));
}

#[test]
fn a_proof_for_another_key_or_format_fails() {
    let chain = build(6, 3, true);
    let proof = prove(&chain, "d-1");
    let other = TraceSigningKey::from_seed([1; 32]).public_key();
    assert!(matches!(
        proof.verify(&other),
        Err(ProofError::WrongKey { .. })
    ));
    let mut wrong_format = proof.clone();
    wrong_format.format = "behavry-trace-proof/2".into();
    assert!(matches!(
        wrong_format.verify(&chain.key.public_key()),
        Err(ProofError::Format(_))
    ));
    let mut empty = proof;
    empty.records.clear();
    assert_eq!(
        empty.verify(&chain.key.public_key()),
        Err(ProofError::Empty)
    );
}
