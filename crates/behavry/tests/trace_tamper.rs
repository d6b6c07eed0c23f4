//! `behavry trace verify | prove | verify-proof | pubkey` against a trace
//! written through the store and then tampered with in the SQLite file the
//! way someone with write access to it could: each change must be reported
//! with the exact record and a non-zero exit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use behavry_core::{
    AgentId, AgentIdentity, CallKind, DecisionId, Reason, TraceEvent, TraceEventKind, Verdict,
};
use behavry_store::{ensure_trace_key, seal_pending, Store};
use std::path::Path;
use std::process::{Command, Output};
use time::OffsetDateTime;

const RECORDS: usize = 25;

fn event(i: usize) -> TraceEvent {
    TraceEvent {
        decision_id: DecisionId(format!("dec-{i}")),
        time: OffsetDateTime::now_utc(),
        event: TraceEventKind::Decision {
            agent: AgentIdentity {
                id: AgentId("00000000-0000-4000-8000-000000000001".into()),
                name: "reporter".into(),
                role: "analyst".into(),
                labels: Default::default(),
                owner: None,
            },
            method: CallKind::ToolsCall,
            upstream: "database".into(),
            tool: format!("query-{i}"),
            arguments: serde_json::json!({"sql": format!("select {i}")}),
            verdict: Verdict::Allow,
            reasons: vec![Reason::policy("read only")],
            policy_revision: "rev-1".into(),
            eval_micros: 10,
            session_id: None,
            approval_id: None,
            risk: None,
            scan: None,
            workflow: None,
        },
    }
}

/// A data directory holding `RECORDS` records sealed in checkpoints of 10
/// (1..=10, 11..=20, 21..=25); returns the public key text.
async fn write_trace(data: &Path) -> String {
    let store = Store::open_dir(data).await.unwrap();
    let (key, _) = ensure_trace_key(&store, data).await.unwrap();
    for i in 1..=RECORDS {
        store.append_trace(&event(i)).await.unwrap();
    }
    let made = seal_pending(&store, &key, 10).await.unwrap();
    assert_eq!(made.len(), 3);
    key.public_key().to_string()
}

fn behavry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_behavry"))
        .args(args)
        .env("BEHAVRY_LOG", "error")
        .output()
        .unwrap()
}

fn verify(data: &Path, key: &str) -> (bool, String) {
    let out = behavry(&[
        "trace",
        "verify",
        "--data-dir",
        data.to_str().unwrap(),
        "--public-key",
        key,
    ]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Run SQL on the database file directly, triggers removed first.
async fn tamper(data: &Path, statements: &[&str]) {
    let pool =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", data.join("behavry.db").display()))
            .await
            .unwrap();
    for sql in [
        "DROP TRIGGER trace_events_no_update",
        "DROP TRIGGER trace_events_no_delete",
        "DROP TRIGGER trace_checkpoints_no_update",
    ]
    .iter()
    .chain(statements)
    {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tamper_is_reported_with_its_record() {
    let cases: &[(&str, &[&str], u64, &str)] = &[
        (
            "modified body",
            &["UPDATE trace_events SET body = replace(body, 'select 7', 'select 8') WHERE seq = 7"],
            7,
            "modified",
        ),
        (
            "modified index column",
            &["UPDATE trace_events SET decision_id = 'other' WHERE seq = 9"],
            9,
            "modified",
        ),
        ("deleted", &["DELETE FROM trace_events WHERE seq = 12"], 12, "deleted"),
        (
            "deleted and renumbered",
            &[
                "DELETE FROM trace_events WHERE seq = 12",
                "UPDATE trace_events SET seq = seq - 1 WHERE seq > 12",
            ],
            12,
            "deleted",
        ),
        (
            "inserted",
            &[
                "UPDATE trace_events SET seq = seq + 1000 WHERE seq >= 15",
                "UPDATE trace_events SET seq = seq - 999 WHERE seq >= 1015",
                "INSERT INTO trace_events (seq, decision_id, kind, time, body, prev_hash, hash) \
                 SELECT 15, decision_id, kind, time, replace(body, 'select 14', 'select 99'), hash, hash \
                 FROM trace_events WHERE seq = 14",
            ],
            15,
            "inserted",
        ),
        (
            "reordered",
            &[
                "UPDATE trace_events SET seq = -4 WHERE seq = 4",
                "UPDATE trace_events SET seq = 4 WHERE seq = 5",
                "UPDATE trace_events SET seq = 5 WHERE seq = -4",
            ],
            4,
            "reordered",
        ),
        ("truncated", &["DELETE FROM trace_events WHERE seq >= 18"], 18, "truncated"),
        (
            "checkpoint signature",
            &["UPDATE trace_checkpoints SET signature = replace(signature, substr(signature, 1, 1), CASE substr(signature, 1, 1) WHEN '0' THEN '1' ELSE '0' END) WHERE first_seq = 11"],
            11,
            "bad checkpoint signature",
        ),
    ];
    for (name, statements, seq, what) in cases {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let key = write_trace(&data).await;
        let (ok, out) = verify(&data, &key);
        assert!(ok, "{name}: the untouched trace verifies: {out}");
        assert!(out.contains(&format!("records: {RECORDS}")), "{out}");

        tamper(&data, statements).await;
        let (ok, out) = verify(&data, &key);
        assert!(!ok, "{name}: must fail: {out}");
        assert!(
            out.contains(&format!("first bad record: {seq}\n")),
            "{name}: {out}"
        );
        assert!(out.contains(&format!("what: {what}\n")), "{name}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_verify_with_the_public_key_and_fail_when_altered() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = write_trace(&data).await;
    let data_arg = data.to_str().unwrap();

    let printed = behavry(&["trace", "pubkey", "--data-dir", data_arg]);
    assert!(printed.status.success());
    assert_eq!(String::from_utf8_lossy(&printed.stdout).trim(), key);

    let proof = behavry(&["trace", "prove", "dec-13", "--data-dir", data_arg]);
    assert!(
        proof.status.success(),
        "{}",
        String::from_utf8_lossy(&proof.stderr)
    );
    let proof_path = dir.path().join("proof.json");
    std::fs::write(&proof_path, &proof.stdout).unwrap();
    let check = |path: &Path, key: &str| {
        let out = behavry(&[
            "trace",
            "verify-proof",
            path.to_str().unwrap(),
            "--public-key",
            key,
        ]);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, out) = check(&proof_path, &key);
    assert!(ok, "{out}");
    assert!(
        out.contains("decision dec-13") && out.contains("record 13: decision"),
        "{out}"
    );

    // The key as a file works too; another key does not.
    let key_file = dir.path().join("trace.pub");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    assert!(check(&proof_path, key_file.to_str().unwrap()).0);
    let other = behavry_trace::TraceSigningKey::from_seed([3; 32])
        .public_key()
        .to_string();
    assert!(!check(&proof_path, &other).0);

    let text = String::from_utf8(proof.stdout).unwrap();
    for (from, to) in [
        ("select 13", "select 31"),
        ("\"seq\":13", "\"seq\":12"),
        ("dec-13", "dec-31"),
    ] {
        assert!(text.contains(from), "{from} in {text}");
        let altered = dir.path().join("altered.json");
        std::fs::write(&altered, text.replacen(from, to, 1)).unwrap();
        let (ok, out) = check(&altered, &key);
        assert!(
            !ok && out.contains("proof INVALID"),
            "{from} -> {to}: {out}"
        );
    }

    let unknown = behavry(&["trace", "prove", "no-such-decision", "--data-dir", data_arg]);
    assert!(!unknown.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsealed_records_cannot_be_proven_yet() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = write_trace(&data).await;
    {
        let store = Store::open_dir(&data).await.unwrap();
        store.append_trace(&event(26)).await.unwrap();
    }
    let out = behavry(&[
        "trace",
        "prove",
        "dec-26",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not sealed"));
    let (ok, out) = verify(&data, &key);
    assert!(ok, "{out}");
    assert!(out.contains("unsealed: 1"), "{out}");
}
