//! Conformance checks for the trace's tamper evidence: stored records form
//! a valid hash chain, checkpoints are stored only in order and only over
//! the stored chain, and sealing covers every record.

use super::trace::sample_decision_event;
use crate::{seal_pending, Store, StoreError};
use behavry_core::DecisionId;
use behavry_trace::{
    merkle_root, ChainVerifier, Checkpoint, TraceHash, TraceSigningKey, VerifyReport,
};
use time::OffsetDateTime;

/// The key every conformance check signs with, so checkpoints made by
/// different checks on one store verify together.
pub fn conformance_signing_key() -> TraceSigningKey {
    TraceSigningKey::from_seed([0x5e; 32])
}

/// Verify the whole stored trace (records and checkpoints, read in pages)
/// with the conformance key.
pub async fn verify_stored_trace(store: &Store) -> Result<VerifyReport, StoreError> {
    let key = conformance_signing_key().public_key();
    let mut verifier = ChainVerifier::new(key);
    let mut checkpoints_through = 0;
    let mut after = 0;
    loop {
        let page = store.trace_records(after, 500).await?;
        let Some(last) = page.last().map(|r| r.seq) else {
            break;
        };
        while checkpoints_through < last + 1 {
            let more = store.trace_checkpoints(checkpoints_through, 100).await?;
            let Some(end) = more.last().map(|c| c.last_seq) else {
                checkpoints_through = u64::MAX;
                break;
            };
            checkpoints_through = end;
            verifier.add_checkpoints(more);
        }
        for record in page {
            if let Err(failure) = verifier.push(record) {
                panic!("the stored trace does not verify: {failure}");
            }
        }
        after = last;
    }
    if checkpoints_through != u64::MAX {
        verifier.add_checkpoints(
            store
                .trace_checkpoints(checkpoints_through, u32::MAX)
                .await?,
        );
    }
    verifier
        .finish()
        .map_err(|failure| StoreError::Corrupt(failure.to_string()))
}

/// Appended events are stored as an unbroken hash chain whose bodies are
/// the events' RFC 8785 encodings.
pub async fn trace_records_form_a_hash_chain(store: &Store) -> Result<(), StoreError> {
    let start = store.latest_trace_seq().await?.unwrap_or(0);
    let mut appended = Vec::new();
    for i in 0..20 {
        let event = sample_decision_event(&DecisionId(super::unique()), &format!("chain-{i}"));
        appended.push((store.append_trace(&event).await?, event));
    }
    let records = store.trace_records(start, 100).await?;
    assert_eq!(records.len(), appended.len());
    let mut prev = match start {
        0 => TraceHash::GENESIS,
        seq => {
            let before = store.trace_records(seq - 1, 1).await?;
            TraceHash::from_hex(&before[0].hash)
                .unwrap_or_else(|_| panic!("record {seq} has a malformed hash"))
        }
    };
    for (record, (seq, event)) in records.iter().zip(&appended) {
        assert_eq!(record.seq, *seq);
        assert_eq!(record.decision_id, event.decision_id.0);
        assert_eq!(record.kind, "decision");
        assert_eq!(
            record.body,
            behavry_trace::encode_event(event).unwrap_or_default(),
            "the body is the event's canonical encoding"
        );
        assert_eq!(
            record.prev_hash,
            prev.to_hex(),
            "record {seq} links to its predecessor"
        );
        let hash = behavry_trace::record_hash(*seq, &prev, &record.body)
            .unwrap_or_else(|e| panic!("record {seq}: {e}"));
        assert_eq!(
            record.hash,
            hash.to_hex(),
            "record {seq} carries its own hash"
        );
        prev = hash;
    }
    assert!(store.trace_records(u64::MAX, 10).await?.is_empty());
    verify_stored_trace(store).await?;
    Ok(())
}

/// Checkpoints are accepted only when they continue the previous one and
/// end on the stored chain; they read back in order.
pub async fn trace_checkpoints_are_contiguous(store: &Store) -> Result<(), StoreError> {
    let key = conformance_signing_key();
    seal_pending(store, &key, 1_000_000)
        .await
        .map_err(seal_failed)?;
    let sealed = store
        .latest_trace_checkpoint()
        .await?
        .map_or(0, |c| c.last_seq);
    for i in 0..5 {
        let event = sample_decision_event(&DecisionId(super::unique()), &format!("cp-{i}"));
        store.append_trace(&event).await?;
    }
    let records = store.trace_records(sealed, 100).await?;
    let hashes: Vec<TraceHash> = records
        .iter()
        .map(|r| TraceHash::from_hex(&r.hash).unwrap_or(TraceHash::GENESIS))
        .collect();
    let sign = |first: u64, upto: usize, last_hash: TraceHash| -> Checkpoint {
        let root = merkle_root(&hashes[..upto]).unwrap_or(TraceHash::GENESIS);
        key.sign(
            first,
            first + upto as u64 - 1,
            root,
            last_hash,
            OffsetDateTime::now_utc(),
        )
        .unwrap_or_else(|e| panic!("signing: {e}"))
    };
    let first = sealed + 1;

    let gap = sign(first + 1, 2, hashes[2]);
    assert!(matches!(
        store.append_trace_checkpoint(&gap).await,
        Err(StoreError::Conflict(_))
    ));
    let wrong_hash = sign(first, 3, hashes[1]);
    assert!(matches!(
        store.append_trace_checkpoint(&wrong_hash).await,
        Err(StoreError::Conflict(_))
    ));

    let one = sign(first, 3, hashes[2]);
    store.append_trace_checkpoint(&one).await?;
    assert!(
        matches!(
            store.append_trace_checkpoint(&one).await,
            Err(StoreError::Conflict(_))
        ),
        "the same range cannot be sealed twice"
    );
    assert_eq!(store.latest_trace_checkpoint().await?, Some(one.clone()));
    for seq in first..first + 3 {
        assert_eq!(
            store.trace_checkpoint_covering(seq).await?,
            Some(one.clone())
        );
    }
    assert_eq!(store.trace_checkpoint_covering(first + 3).await?, None);
    assert_eq!(
        store.trace_checkpoints(sealed, 10).await?,
        vec![one.clone()]
    );
    assert!(store.trace_checkpoints(one.last_seq, 10).await?.is_empty());

    let made = seal_pending(store, &key, 1_000_000)
        .await
        .map_err(seal_failed)?;
    assert_eq!(made.len(), 1);
    assert_eq!(
        (made[0].first_seq, made[0].last_seq),
        (first + 3, first + 4)
    );
    assert_eq!(
        store.trace_checkpoints(sealed, 10).await?,
        vec![one, made[0].clone()]
    );
    Ok(())
}

/// After sealing, every record is covered and the whole trace verifies.
pub async fn trace_sealing_covers_every_record(store: &Store) -> Result<(), StoreError> {
    let key = conformance_signing_key();
    for i in 0..30 {
        let event = sample_decision_event(&DecisionId(super::unique()), &format!("seal-{i}"));
        store.append_trace(&event).await?;
    }
    let made = seal_pending(store, &key, 7).await.map_err(seal_failed)?;
    assert!(made.iter().all(|c| c.tree_size <= 7));
    assert!(made.windows(2).all(|w| w[1].first_seq == w[0].last_seq + 1));
    assert!(seal_pending(store, &key, 7)
        .await
        .map_err(seal_failed)?
        .is_empty());
    let head = store.latest_trace_seq().await?;
    let report = verify_stored_trace(store).await?;
    assert_eq!(report.head.map(|(seq, _)| seq), head);
    assert_eq!(report.unsealed, 0);
    assert_eq!(Some(report.sealed_through), head);
    Ok(())
}

fn seal_failed(e: crate::SealError) -> StoreError {
    match e {
        crate::SealError::Store(e) => e,
        other => StoreError::Corrupt(other.to_string()),
    }
}
