//! Shared test fixtures: a fresh store, a writer of sample events, and
//! in-repo HTTP receivers for each protocol with fault injection.

#![allow(dead_code)]

pub mod receiver;

use behavry_config::SinkConfig;
use behavry_sinks::testing::sample_event;
use behavry_store::Store;
use std::time::Duration;

pub async fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir_durable(dir.path(), behavry_store::Durability::OsBuffered)
        .await
        .unwrap();
    (dir, store)
}

/// Append sample events `from..to` (sequence numbers `from+1..=to`).
pub async fn append(store: &Store, from: u64, to: u64) {
    for i in from..to {
        store.append_trace(&sample_event(i).unwrap()).await.unwrap();
    }
}

/// One sink from TOML text (`[[sinks]]` tables).
pub fn sinks_from(toml: &str) -> Vec<SinkConfig> {
    behavry_config::parse(toml, std::path::Path::new("/"))
        .unwrap()
        .sinks
}

/// Wait until `done` holds, or fail after `limit`.
pub async fn eventually(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn lookup(name: &str) -> Option<String> {
    match name {
        "TEST_TOKEN" => Some("test-token".to_string()),
        "TEST_PASSWORD" => Some("test-password".to_string()),
        _ => None,
    }
}
