//! Loading policy sets from directories: what is accepted, what is rejected
//! and how the rejection is reported.

mod common;

use behavry_core::{Evaluate, Verdict};
use behavry_policy::{run_tests, PolicyLoadError, PolicySet};
use common::{policy_dir, tool_call, write_files, MINIMAL_POLICY, MINIMAL_TEST};
use serde_json::json;

#[test]
fn valid_set_loads_with_tests_and_files_listed() {
    let dir = policy_dir(&[
        ("policy.rego", MINIMAL_POLICY),
        ("tests/policy_test.rego", MINIMAL_TEST),
        ("README.md", "x"),
    ]);
    let set = PolicySet::load_dir(dir.path()).unwrap();
    assert_eq!(set.files(), ["policy.rego", "tests/policy_test.rego"]);
    assert_eq!(set.test_report().total(), 1);
    assert_eq!(set.revision().len(), 16);
    let verdict = set
        .evaluator()
        .evaluate(&tool_call("any", "up", "ok", json!({})))
        .unwrap();
    assert_eq!(verdict.result, Verdict::Allow);
}

#[test]
fn revision_is_deterministic_and_content_sensitive() {
    let a = policy_dir(&[
        ("policy.rego", MINIMAL_POLICY),
        ("b_test.rego", MINIMAL_TEST),
    ]);
    let b = policy_dir(&[
        ("b_test.rego", MINIMAL_TEST),
        ("policy.rego", MINIMAL_POLICY),
    ]);
    let rev_a = PolicySet::load_dir(a.path())
        .unwrap()
        .revision()
        .to_string();
    assert_eq!(rev_a, PolicySet::load_dir(b.path()).unwrap().revision());
    write_files(
        b.path(),
        &[("policy.rego", &format!("{MINIMAL_POLICY}\n# edited\n"))],
    );
    assert_ne!(rev_a, PolicySet::load_dir(b.path()).unwrap().revision());
    // Renaming a file changes the revision too.
    let c = policy_dir(&[
        ("other.rego", MINIMAL_POLICY),
        ("b_test.rego", MINIMAL_TEST),
    ]);
    assert_ne!(rev_a, PolicySet::load_dir(c.path()).unwrap().revision());
}

#[test]
fn every_parse_error_is_reported_with_its_location() {
    let dir = policy_dir(&[
        ("a.rego", MINIMAL_POLICY),
        (
            "broken_one.rego",
            "package one\n\nimport rego.v1\n\nx if {\n",
        ),
        (
            "broken_two.rego",
            "package two\n\nimport rego.v1\n\ny := := 1\n",
        ),
    ]);
    let err = PolicySet::load_dir(dir.path()).unwrap_err();
    let PolicyLoadError::Parse(errors) = &err else {
        panic!("expected parse errors, got {err}")
    };
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("broken_one.rego:"), "{}", errors[0]);
    assert!(errors[1].contains("broken_two.rego:5:"), "{}", errors[1]);
    assert!(err
        .to_string()
        .starts_with("policy set has 2 parse error(s)"));
    // The test runner reports parse errors the same way.
    assert!(matches!(run_tests(dir.path()), Err(PolicyLoadError::Parse(e)) if e.len() == 2));
}

#[test]
fn rego_v0_syntax_is_rejected() {
    let dir = policy_dir(&[(
        "a.rego",
        "package behavry\n\ndecision = {\"result\": \"allow\"} { true }\n",
    )]);
    assert!(matches!(
        PolicySet::load_dir(dir.path()),
        Err(PolicyLoadError::Parse(_))
    ));
}

#[test]
fn failing_test_rejects_the_set_and_names_the_test() {
    let failing = r#"package behavry_test

import rego.v1

test_passes if true

test_wrong_verdict if {
	data.behavry.decision.result == "allow" with input as {"call": {"tool": "nope"}}
}

test_not_true := 7
"#;
    let dir = policy_dir(&[
        ("policy.rego", MINIMAL_POLICY),
        ("policy_test.rego", failing),
    ]);
    let err = PolicySet::load_dir(dir.path()).unwrap_err();
    let PolicyLoadError::TestsFailed { failures, report } = &err else {
        panic!("expected test failure, got {err}")
    };
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures[0]
        .starts_with("data.behavry_test.test_wrong_verdict (policy_test.rego:7): undefined"));
    assert!(failures[1].contains("test_not_true") && failures[1].contains("evaluated to 7"));
    assert_eq!((report.passed, report.failed), (1, 2));

    let report = run_tests(dir.path()).unwrap();
    let text = report.to_string();
    assert!(
        text.contains("PASS: 1/3") && text.contains("FAIL: 2/3"),
        "{text}"
    );
    assert!(
        text.contains("data.behavry_test.test_passes: PASS"),
        "{text}"
    );
}

#[test]
fn test_that_errors_is_a_failure_with_the_error() {
    let erroring =
        "package behavry_test\n\nimport rego.v1\n\ntest_divides if {\n\tx := 1 / 0\n\tx == 1\n}\n";
    let dir = policy_dir(&[("policy.rego", MINIMAL_POLICY), ("t_test.rego", erroring)]);
    let report = run_tests(dir.path()).unwrap();
    assert_eq!(report.failed, 1);
    let error = report.results[0].error.clone().unwrap();
    assert!(error.starts_with("error:"), "{error}");
}

#[test]
fn missing_entry_point_is_rejected() {
    let dir = policy_dir(&[(
        "a.rego",
        "package behavry\n\nimport rego.v1\n\nallow := true\n",
    )]);
    assert!(matches!(
        PolicySet::load_dir(dir.path()),
        Err(PolicyLoadError::MissingEntryPoint)
    ));
    let other_package = policy_dir(&[(
        "a.rego",
        "package other\n\nimport rego.v1\n\ndecision := {}\n",
    )]);
    assert!(matches!(
        PolicySet::load_dir(other_package.path()),
        Err(PolicyLoadError::MissingEntryPoint)
    ));
}

#[test]
fn empty_or_missing_directory_is_rejected() {
    let empty = policy_dir(&[("notes.txt", "x")]);
    assert!(matches!(
        PolicySet::load_dir(empty.path()),
        Err(PolicyLoadError::NoPolicies(_))
    ));
    let missing = empty.path().join("nope");
    assert!(matches!(
        PolicySet::load_dir(&missing),
        Err(PolicyLoadError::Io { .. })
    ));
}

#[test]
fn hidden_files_are_ignored() {
    let dir = policy_dir(&[
        ("policy.rego", MINIMAL_POLICY),
        (".swap.rego", "garbage {"),
        (".git/x.rego", "garbage {"),
    ]);
    assert_eq!(
        PolicySet::load_dir(dir.path()).unwrap().files(),
        ["policy.rego"]
    );
}

#[test]
fn data_files_merge_under_their_directory() {
    let policy = r#"package behavry

import rego.v1

decision := {"result": data.verdicts.default, "reasons": [data.teams.lead]}
"#;
    let dir = policy_dir(&[
        ("policy.rego", policy),
        ("data.json", r#"{"verdicts": {"default": "intercept"}}"#),
        ("teams/data.json", r#"{"lead": "ada"}"#),
    ]);
    let set = PolicySet::load_dir(dir.path()).unwrap();
    let verdict = set.evaluate_json(&json!({})).unwrap();
    assert_eq!(verdict.result, Verdict::Intercept);
    assert_eq!(verdict.reasons, ["ada"]);
}

#[test]
fn invalid_or_conflicting_data_is_rejected() {
    let not_object = policy_dir(&[("policy.rego", MINIMAL_POLICY), ("data.json", "[1, 2]")]);
    assert!(matches!(
        PolicySet::load_dir(not_object.path()),
        Err(PolicyLoadError::Data { .. })
    ));
    let broken = policy_dir(&[("policy.rego", MINIMAL_POLICY), ("data.json", "{")]);
    assert!(matches!(
        PolicySet::load_dir(broken.path()),
        Err(PolicyLoadError::Data { .. })
    ));
    let conflict = policy_dir(&[
        ("policy.rego", MINIMAL_POLICY),
        ("a.json", r#"{"x": 1}"#),
        ("b.json", r#"{"x": 2}"#),
    ]);
    assert!(matches!(
        PolicySet::load_dir(conflict.path()),
        Err(PolicyLoadError::Data { .. })
    ));
}

#[test]
fn compile_errors_are_rejected() {
    let unsafe_var = "package behavry\n\nimport rego.v1\n\ndecision := {\"result\": x, \"reasons\": []} if {\n\tx != 1\n}\n";
    let dir = policy_dir(&[("policy.rego", unsafe_var)]);
    let err = PolicySet::load_dir(dir.path()).unwrap_err();
    let PolicyLoadError::Compile(message) = &err else {
        panic!("expected a compile error, got {err}")
    };
    assert!(
        message.contains("var x is unsafe") && message.contains("policy.rego:6"),
        "{message}"
    );
}
