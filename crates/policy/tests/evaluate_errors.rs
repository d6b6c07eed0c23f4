//! Fail-closed evaluation: every way a policy can fail to produce a
//! well-formed verdict maps to a typed error (the caller denies).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use behavry_core::{EvalError, Evaluate, Verdict};
use behavry_policy::PolicySet;
use common::{policy_dir, tool_call};
use serde_json::json;
use std::time::{Duration, Instant};

fn set_with(policy: &str) -> PolicySet {
    let dir = policy_dir(&[("policy.rego", policy)]);
    PolicySet::load_dir(dir.path()).unwrap()
}

#[test]
fn undefined_decision_is_undefined() {
    let set = set_with("package behavry\n\nimport rego.v1\n\ndecision := {\"result\": \"allow\"} if input.call.tool == \"x\"\n");
    let err = set
        .evaluator()
        .evaluate(&tool_call("r", "u", "y", json!({})))
        .unwrap_err();
    assert_eq!(err, EvalError::Undefined);
    let ok = set
        .evaluator()
        .evaluate(&tool_call("r", "u", "x", json!({})))
        .unwrap();
    assert_eq!(ok.result, Verdict::Allow);
}

#[test]
fn malformed_decisions_are_malformed() {
    let cases = [
        r#"decision := "allow""#,
        r#"decision := {"result": "permit", "reasons": []}"#,
        r#"decision := {"result": "allow", "reasons": [1]}"#,
        r#"decision := {"result": "allow", "extra": true}"#,
        r#"decision := {"reasons": ["no result"]}"#,
    ];
    for body in cases {
        let set = set_with(&format!("package behavry\n\nimport rego.v1\n\n{body}\n"));
        let err = set
            .evaluator()
            .evaluate(&tool_call("r", "u", "t", json!({})))
            .unwrap_err();
        assert!(matches!(err, EvalError::Malformed(_)), "{body}: {err:?}");
    }
}

#[test]
fn set_valued_reasons_are_accepted() {
    let set = set_with(
        "package behavry\n\nimport rego.v1\n\nwhy contains \"b\" if true\n\nwhy contains \"a\" if true\n\ndecision := {\"result\": \"deny\", \"reasons\": why}\n",
    );
    let verdict = set
        .evaluator()
        .evaluate(&tool_call("r", "u", "t", json!({})))
        .unwrap();
    assert_eq!(verdict.reasons, ["a", "b"]);
}

#[test]
fn runtime_errors_are_failed() {
    let set = set_with("package behavry\n\nimport rego.v1\n\ndecision := {\"result\": \"allow\", \"reasons\": [sprintf(\"%d\", [1 / input.call.arguments.n])]}\n");
    let err = set
        .evaluator()
        .evaluate(&tool_call("r", "u", "t", json!({"n": 0})))
        .unwrap_err();
    assert!(matches!(err, EvalError::Failed(_)), "{err:?}");
}

#[test]
fn expensive_policy_times_out() {
    let slow = "package behavry\n\nimport rego.v1\n\nn := count([1 | some a in numbers.range(1, 4000); some b in numbers.range(1, 4000)]) if input.call.tool == \"slow\"\n\ndecision := {\"result\": \"allow\", \"reasons\": [sprintf(\"%d\", [n])]}\n";
    let set = set_with(slow);
    let mut evaluator = set.evaluator().with_time_limit(Duration::from_millis(20));
    let started = Instant::now();
    let err = evaluator
        .evaluate(&tool_call("r", "u", "slow", json!({})))
        .unwrap_err();
    assert_eq!(err, EvalError::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    // The evaluator stays usable after a timeout.
    assert_eq!(
        evaluator
            .evaluate(&tool_call("r", "u", "slow", json!({})))
            .unwrap_err(),
        EvalError::Timeout
    );
    assert_eq!(
        evaluator
            .evaluate(&tool_call("r", "u", "fast", json!({})))
            .unwrap_err(),
        EvalError::Undefined
    );
}

#[test]
fn default_time_limit_applies_to_set_evaluators() {
    let slow = "package behavry\n\nimport rego.v1\n\nn := count([1 | some a in numbers.range(1, 20000); some b in numbers.range(1, 20000)]) if input.call.tool == \"slow\"\n\ndecision := {\"result\": \"allow\", \"reasons\": [sprintf(\"%d\", [n])]}\n";
    let set = set_with(slow);
    assert_eq!(
        set.eval_time_limit(),
        behavry_policy::DEFAULT_EVAL_TIME_LIMIT
    );
    let started = Instant::now();
    assert_eq!(
        set.evaluate_json(&json!({"call": {"tool": "slow"}}))
            .unwrap_err(),
        EvalError::Timeout
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn input_does_not_leak_between_evaluations() {
    let set = set_with("package behavry\n\nimport rego.v1\n\ndefault decision := {\"result\": \"deny\", \"reasons\": [\"no input\"]}\n\ndecision := {\"result\": \"allow\", \"reasons\": []} if input.call.tool == \"ok\"\n");
    let mut evaluator = set.evaluator();
    assert_eq!(
        evaluator
            .evaluate(&tool_call("r", "u", "ok", json!({})))
            .unwrap()
            .result,
        Verdict::Allow
    );
    assert_eq!(
        evaluator
            .evaluate(&tool_call("r", "u", "other", json!({})))
            .unwrap()
            .result,
        Verdict::Deny
    );
    assert_eq!(
        set.evaluate_json(&json!(null)).unwrap().result,
        Verdict::Deny
    );
}
