//! Hot reload through `PolicyHandle` and `PolicyWatcher`: valid changes are
//! swapped in, broken ones are rejected and the previous set stays active.

mod common;

use behavry_core::{Evaluate, Verdict};
use behavry_policy::{PolicyHandle, PolicyLoadError, PolicyWatcher};
use common::{policy_dir, tool_call, write_files, MINIMAL_POLICY, MINIMAL_TEST};
use serde_json::json;
use std::time::{Duration, Instant};

const ALLOW_ALL: &str = r#"package behavry

import rego.v1

decision := {"result": "allow", "reasons": ["open"]}
"#;

async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[test]
fn manual_reload_swaps_valid_sets_and_keeps_previous_on_error() {
    let dir = policy_dir(&[
        ("policy.rego", MINIMAL_POLICY),
        ("policy_test.rego", MINIMAL_TEST),
    ]);
    let handle = PolicyHandle::load_dir(dir.path()).unwrap();
    let first = handle.revision();
    let mut live = handle.evaluator();

    // Unchanged content: same revision, nothing counted.
    assert_eq!(handle.reload_from(dir.path()).unwrap(), first);
    assert_eq!(handle.status().reload_count, 0);

    std::fs::remove_file(dir.path().join("policy_test.rego")).unwrap();
    write_files(dir.path(), &[("policy.rego", ALLOW_ALL)]);
    let second = handle.reload_from(dir.path()).unwrap();
    assert_ne!(second, first);
    assert_eq!(handle.current().revision(), second);
    let status = handle.status();
    assert_eq!(
        (
            status.revision.as_str(),
            status.reload_count,
            status.last_error.clone()
        ),
        (second.as_str(), 1, None)
    );

    // A live evaluator keeps its set until refreshed, then follows.
    let call = tool_call("r", "u", "anything", json!({}));
    assert_eq!(live.evaluate(&call).unwrap().result, Verdict::Deny);
    assert_eq!(live.revision(), first);
    assert_eq!(
        live.refresh().evaluate(&call).unwrap().result,
        Verdict::Allow
    );
    assert_eq!(live.revision(), second);

    write_files(
        dir.path(),
        &[("policy.rego", "package behavry\n\ndecision := {")],
    );
    let err = handle.reload_from(dir.path()).unwrap_err();
    assert!(matches!(err, PolicyLoadError::Parse(_)));
    let status = handle.status();
    assert_eq!(status.revision, second);
    assert_eq!(status.failed_reload_count, 1);
    assert!(status.last_error.unwrap().contains("parse error"));
    assert_eq!(
        handle.evaluator().evaluate(&call).unwrap().result,
        Verdict::Allow
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_reloads_on_change_and_rejects_broken_sets() {
    let dir = policy_dir(&[
        ("policy.rego", MINIMAL_POLICY),
        ("policy_test.rego", MINIMAL_TEST),
    ]);
    let handle = PolicyHandle::load_dir(dir.path()).unwrap();
    let first = handle.revision();
    let _watcher =
        PolicyWatcher::spawn_with_debounce(dir.path(), handle.clone(), Duration::from_millis(100))
            .unwrap();

    // A valid change (a new file in a new subdirectory) is picked up.
    write_files(
        dir.path(),
        &[(
            "extra/more_test.rego",
            "package more_test\n\nimport rego.v1\n\ntest_more if true\n",
        )],
    );
    wait_for("the new revision", || handle.revision() != first).await;
    let second = handle.revision();
    assert_eq!(handle.status().reload_count, 1);
    assert_eq!(handle.current().test_report().total(), 2);

    // A set whose own test fails is rejected; the previous set stays active.
    write_files(
        dir.path(),
        &[("policy.rego", ALLOW_ALL.replace("allow", "deny").as_str())],
    );
    wait_for("the reload error", || handle.status().last_error.is_some()).await;
    let status = handle.status();
    assert_eq!(status.revision, second);
    assert!(status.last_error.unwrap().contains("test_ok_is_allowed"));
    assert_eq!(handle.revision(), second);

    // Fixing the set recovers and clears the error.
    write_files(
        dir.path(),
        &[
            ("policy.rego", MINIMAL_POLICY),
            (
                "policy_test.rego",
                "package t\n\nimport rego.v1\n\ntest_x if true\n",
            ),
        ],
    );
    wait_for("recovery", || {
        handle.status().last_error.is_none() && handle.revision() != second
    })
    .await;
    assert_eq!(handle.status().reload_count, 2);
}

#[tokio::test]
async fn debounce_coalesces_a_burst_of_writes() {
    let dir = policy_dir(&[("policy.rego", MINIMAL_POLICY)]);
    let handle = PolicyHandle::load_dir(dir.path()).unwrap();
    let _watcher =
        PolicyWatcher::spawn_with_debounce(dir.path(), handle.clone(), Duration::from_millis(300))
            .unwrap();
    for i in 0..5 {
        write_files(
            dir.path(),
            &[("policy.rego", &format!("{MINIMAL_POLICY}\n# edit {i}\n"))],
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    wait_for("the reload", || handle.status().reload_count > 0).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(handle.status().reload_count, 1);
}

#[test]
fn watcher_needs_a_runtime() {
    let dir = policy_dir(&[("policy.rego", MINIMAL_POLICY)]);
    let handle = PolicyHandle::load_dir(dir.path()).unwrap();
    assert!(PolicyWatcher::spawn(dir.path(), handle).is_err());
}

#[test]
fn handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PolicyHandle>();
    assert_send_sync::<behavry_policy::PolicySet>();
    assert_send_sync::<behavry_policy::PolicyEvaluator>();
    assert_send_sync::<PolicyWatcher>();
}
