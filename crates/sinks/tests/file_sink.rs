#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The JSON Lines file sink: every record once, in order, rotated by size,
//! files private to the owner.

mod common;

use behavry_sinks::SinkSet;
use common::{append, eventually, fresh_store, lookup, sinks_from};
use std::time::Duration;

#[tokio::test]
async fn writes_every_record_and_rotates_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/trace.jsonl");
    let (_db, store) = fresh_store().await;
    append(&store, 0, 300).await;
    let toml = format!(
        "[[sinks]]\nname = \"file\"\nkind = \"file\"\npath = \"{}\"\nrotate_bytes = 65536\nbatch_max = 40\nbatch_wait_ms = 0\n",
        path.display()
    );
    let sinks = SinkSet::start(store.clone(), &sinks_from(&toml), lookup).unwrap();
    eventually(Duration::from_secs(10), "cursor 300", || {
        sinks.statuses()[0].cursor == 300
    })
    .await;
    sinks.shutdown().await;
    let mut files: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "rotation expected: {files:?}");
    let mut seqs = Vec::new();
    for f in &files {
        let meta = std::fs::metadata(f).unwrap();
        assert!(meta.len() <= 65536, "{f:?} is {} bytes", meta.len());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
        for line in std::fs::read_to_string(f).unwrap().lines() {
            let doc: serde_json::Value = serde_json::from_str(line).unwrap();
            seqs.push(doc["seq"].as_u64().unwrap());
        }
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=300).collect::<Vec<_>>());
}
