//! The operator, console session and agent activity conformance checks
//! against SQLite.

use behavry_store::conformance;
use behavry_store::Store;

#[allow(clippy::unwrap_used)] // test helper
async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(&dir.path().join("data")).await.unwrap();
    (dir, store)
}

macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[allow(clippy::unwrap_used)]
        async fn $name() {
            let (_dir, store) = fresh().await;
            conformance::$name(&store).await.unwrap();
        }
    )*};
}

conformance_tests!(
    operators_create_list_update_disable,
    console_sessions_lifecycle,
    console_sessions_end_with_password_change_and_disable,
    console_sessions_stale_are_removed,
    agent_last_activity_follows_decisions,
);
