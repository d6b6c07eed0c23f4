//! Which engine a set decides on: the bytecode VM only when it compiles the
//! entry point and agrees with the interpreter on the load-time corpus;
//! otherwise the interpreter, with the reason visible in the set and the
//! handle's status. The VM path keeps the fail-closed error mapping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use behavry_core::{EvalError, Evaluate, Verdict};
use behavry_policy::{EvalEngine, PolicyHandle, PolicySet};
use common::{policy_dir, tool_call, MINIMAL_POLICY, MINIMAL_TEST};
use serde_json::json;
use std::time::{Duration, Instant};

fn set_with(policy: &str) -> PolicySet {
    let dir = policy_dir(&[("policy.rego", policy)]);
    PolicySet::load_dir(dir.path()).unwrap()
}

#[test]
fn a_plain_set_runs_on_the_vm_and_reports_it() {
    let dir = policy_dir(&[
        ("policy.rego", MINIMAL_POLICY),
        ("policy_test.rego", MINIMAL_TEST),
    ]);
    let set = PolicySet::load_dir(dir.path()).unwrap();
    assert_eq!(set.engine(), EvalEngine::Rvm);
    assert_eq!(set.engine_fallback(), None);
    assert_eq!(set.evaluator().engine(), EvalEngine::Rvm);
    let status = PolicyHandle::new(set).status();
    assert_eq!(status.engine, EvalEngine::Rvm);
    assert_eq!(
        serde_json::to_value(&status).unwrap()["engine"],
        json!("rvm")
    );
}

#[test]
fn unsupported_construct_falls_back_to_the_interpreter() {
    // The VM compiler does not support `with`; here it is on the decision path.
    let policy = "package behavry\n\nimport rego.v1\n\ninner := input.call.tool\n\ndefault decision := {\"result\": \"deny\", \"reasons\": [\"not ok\"]}\n\ndecision := {\"result\": \"allow\", \"reasons\": []} if {\n\tt := inner with input.call.tool as \"ok\"\n\tt == input.call.tool\n}\n";
    let set = set_with(policy);
    assert_eq!(set.engine(), EvalEngine::Interpreter);
    assert!(
        set.engine_fallback().unwrap().contains("with"),
        "{:?}",
        set.engine_fallback()
    );
    assert!(set.evaluator_on(EvalEngine::Rvm).is_none());
    let verdict = set
        .evaluator()
        .evaluate(&tool_call("r", "u", "ok", json!({})))
        .unwrap();
    assert_eq!(verdict.result, Verdict::Allow);
    let status = PolicyHandle::new(set).status();
    assert_eq!(status.engine, EvalEngine::Interpreter);
    assert!(status.engine_fallback.is_some());
}

#[test]
fn disagreement_on_the_corpus_falls_back_to_the_interpreter() {
    // On the pinned VM an array comprehension over undefined lookups yields
    // undefined elements, so the count differs for arguments without the keys.
    let policy = "package behavry\n\nimport rego.v1\n\nfound := [p | some k in [\"a\", \"b\"]; p := input.call.arguments[k]]\n\ndecision := {\"result\": \"deny\", \"reasons\": [\"found something\"]} if count(found) > 0\n\nelse := {\"result\": \"allow\", \"reasons\": []}\n";
    let set = set_with(policy);
    assert_eq!(set.engine(), EvalEngine::Interpreter);
    let why = set.engine_fallback().unwrap();
    assert!(why.contains("disagree"), "{why}");
    let verdict = set
        .evaluator()
        .evaluate(&tool_call("r", "u", "t", json!({})))
        .unwrap();
    assert_eq!(verdict.result, Verdict::Allow);
}

#[test]
fn vm_errors_keep_the_interpreter_classification() {
    // The VM turns the division error into an undefined rule; the outcome is
    // confirmed by the interpreter, so it stays a failure with its message.
    let policy = "package behavry\n\nimport rego.v1\n\ndecision := {\"result\": \"allow\", \"reasons\": [sprintf(\"%d\", [1 / input.call.arguments.n])]}\n";
    let set = set_with(policy);
    assert_eq!(set.engine(), EvalEngine::Rvm);
    let mut evaluator = set.evaluator();
    let err = evaluator
        .evaluate(&tool_call("r", "u", "t", json!({"n": 0})))
        .unwrap_err();
    let reference = set
        .evaluator_on(EvalEngine::Interpreter)
        .unwrap()
        .evaluate(&tool_call("r", "u", "t", json!({"n": 0})))
        .unwrap_err();
    assert!(matches!(err, EvalError::Failed(_)), "{err:?}");
    assert_eq!(err, reference);
    assert_eq!(
        evaluator
            .evaluate(&tool_call("r", "u", "t", json!({"n": 1})))
            .unwrap()
            .reasons,
        ["1"]
    );
}

#[test]
fn vm_path_honours_the_time_limit() {
    let slow = "package behavry\n\nimport rego.v1\n\nn := count([1 | some a in numbers.range(1, 4000); some b in numbers.range(1, 4000)]) if input.call.tool == \"slow\"\n\ndecision := {\"result\": \"allow\", \"reasons\": [sprintf(\"%d\", [n])]}\n";
    let set = set_with(slow);
    assert_eq!(set.engine(), EvalEngine::Rvm);
    let mut evaluator = set.evaluator().with_time_limit(Duration::from_millis(20));
    let started = Instant::now();
    let err = evaluator
        .evaluate(&tool_call("r", "u", "slow", json!({})))
        .unwrap_err();
    assert_eq!(err, EvalError::Timeout);
    // One retry: at most about twice the limit, far below the work needed.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        evaluator
            .evaluate(&tool_call("r", "u", "fast", json!({})))
            .unwrap_err(),
        EvalError::Undefined
    );
}

#[test]
fn pooled_vms_decide_correctly_across_threads() {
    let dir = policy_dir(&[
        ("policy.rego", MINIMAL_POLICY),
        ("policy_test.rego", MINIMAL_TEST),
    ]);
    let set = std::sync::Arc::new(PolicySet::load_dir(dir.path()).unwrap());
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let set = std::sync::Arc::clone(&set);
            std::thread::spawn(move || {
                for i in 0..200 {
                    let tool = if (i + worker) % 2 == 0 { "ok" } else { "other" };
                    let verdict = set
                        .evaluator()
                        .evaluate(&tool_call("r", "u", tool, json!({"i": i})))
                        .unwrap();
                    let expected = if tool == "ok" {
                        Verdict::Allow
                    } else {
                        Verdict::Deny
                    };
                    assert_eq!(verdict.result, expected);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}
