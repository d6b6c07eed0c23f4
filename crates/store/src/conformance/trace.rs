//! Conformance checks for the Decision Trace: durable contiguous sequence
//! numbers under concurrent appenders, and ordered reads.

use super::unique;
use crate::{Store, StoreError};
use behavry_core::{
    AgentId, AgentIdentity, CallKind, CallOutcome, DecisionId, Reason, TraceEvent, TraceEventKind,
    Verdict,
};
use time::OffsetDateTime;

/// A decision event, as the gateway writes it before forwarding a call.
pub fn sample_decision_event(decision_id: &DecisionId, tool: &str) -> TraceEvent {
    TraceEvent {
        decision_id: decision_id.clone(),
        time: OffsetDateTime::now_utc(),
        event: TraceEventKind::Decision {
            agent: AgentIdentity {
                id: AgentId("00000000-0000-4000-8000-000000000001".to_string()),
                name: "reporter".to_string(),
                role: "analyst".to_string(),
                labels: Default::default(),
                owner: None,
            },
            method: CallKind::ToolsCall,
            upstream: "db".to_string(),
            tool: tool.to_string(),
            arguments: serde_json::json!({"sql": "select 1"}),
            verdict: Verdict::Allow,
            reasons: vec![Reason::policy("read only")],
            policy_revision: "rev-1".to_string(),
            eval_micros: 42,
            session_id: None,
            approval_id: None,
            risk: None,
            scan: None,
            workflow: None,
        },
    }
}

fn outcome_event(decision_id: &DecisionId) -> TraceEvent {
    TraceEvent {
        decision_id: decision_id.clone(),
        time: OffsetDateTime::now_utc(),
        event: TraceEventKind::Outcome {
            outcome: CallOutcome::Completed {
                is_error: false,
                latency_ms: 1.5,
            },
        },
    }
}

fn new_decision_id() -> DecisionId {
    DecisionId(uuid::Uuid::now_v7().to_string())
}

/// 8 tasks x 200 appends: every append is acknowledged, the sequence
/// numbers are exactly the next 1600, and each stored event matches the
/// event acknowledged under its number. Needs to be the only trace writer.
pub async fn trace_append_contiguous_under_concurrency(store: &Store) -> Result<(), StoreError> {
    const TASKS: usize = 8;
    const PER_TASK: usize = 200;
    let start = store.latest_trace_seq().await?.unwrap_or(0);
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut acked = Vec::with_capacity(PER_TASK);
                for i in 0..PER_TASK {
                    let event =
                        sample_decision_event(&new_decision_id(), &format!("tool-{task}-{i}"));
                    let seq = store.append_trace(&event).await?;
                    acked.push((seq, event));
                }
                Ok::<_, StoreError>(acked)
            })
        })
        .collect();
    let mut acked = Vec::with_capacity(TASKS * PER_TASK);
    for task in tasks {
        let per_task = task
            .await
            .unwrap_or_else(|e| panic!("appender task failed: {e}"))?;
        assert!(
            per_task.windows(2).all(|w| w[0].0 < w[1].0),
            "one caller's appends are ordered"
        );
        acked.extend(per_task);
    }
    acked.sort_by_key(|(seq, _)| *seq);
    let total = u64::try_from(TASKS * PER_TASK).unwrap_or(u64::MAX);
    let seqs: Vec<u64> = acked.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (start + 1..=start + total).collect::<Vec<_>>(),
        "sequence numbers are contiguous"
    );
    assert_eq!(store.latest_trace_seq().await?, Some(start + total));

    let stored = store
        .tail_trace(Some(start), u32::try_from(total).unwrap_or(u32::MAX))
        .await?;
    assert_eq!(
        stored, acked,
        "each stored event is the one acknowledged under its number"
    );
    Ok(())
}

pub async fn trace_tail_and_decision_order(store: &Store) -> Result<(), StoreError> {
    let first = new_decision_id();
    let second = new_decision_id();
    let events = vec![
        sample_decision_event(&first, &format!("a-{}", unique())),
        sample_decision_event(&second, "b"),
        TraceEvent {
            decision_id: first.clone(),
            time: OffsetDateTime::now_utc(),
            event: TraceEventKind::Approval {
                approval_id: unique(),
                action: "approved".to_string(),
                operator: Some("alice".to_string()),
                reason: None,
                detail: None,
            },
        },
        outcome_event(&second),
        outcome_event(&first),
    ];
    let mut written = Vec::new();
    for event in &events {
        written.push((store.append_trace(event).await?, event.clone()));
    }
    assert!(
        written.windows(2).all(|w| w[1].0 == w[0].0 + 1),
        "sequential appends are contiguous"
    );
    let last = written[4].0;
    assert_eq!(store.latest_trace_seq().await?, Some(last));

    let for_first = store.trace_for_decision(&first).await?;
    assert_eq!(
        for_first,
        vec![written[0].clone(), written[2].clone(), written[4].clone()]
    );
    let for_second = store.trace_for_decision(&second).await?;
    assert_eq!(for_second, vec![written[1].clone(), written[3].clone()]);
    assert!(store
        .trace_for_decision(&new_decision_id())
        .await?
        .is_empty());

    assert_eq!(
        store.tail_trace(None, 3).await?,
        written[2..].to_vec(),
        "tail is the newest, oldest first"
    );
    assert_eq!(
        store.tail_trace(Some(written[0].0), 2).await?,
        written[1..3].to_vec()
    );
    assert!(store.tail_trace(Some(last), 10).await?.is_empty());
    assert!(store.tail_trace(Some(u64::MAX), 10).await?.is_empty());
    assert!(store.tail_trace(None, 0).await?.is_empty());
    Ok(())
}
