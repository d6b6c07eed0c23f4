//! The shipped default policy set: its own Rego tests pass, and a table of
//! real `PolicyInput`s gets the documented verdicts through `PolicyEvaluator`.

mod common;

use behavry_core::{CallKind, Evaluate, Verdict};
use behavry_policy::{run_tests, PolicySet};
use common::{default_policies, input, tool_call};
use serde_json::json;

#[test]
fn default_set_loads_and_its_tests_pass() {
    let report = run_tests(&default_policies()).unwrap();
    assert!(report.all_passed(), "{report}");
    assert!(report.total() >= 15, "only {} tests", report.total());
    let set = PolicySet::load_dir(&default_policies()).unwrap();
    assert_eq!(set.test_report().total(), report.total());
    assert_eq!(set.revision(), report.revision);
}

#[test]
fn default_set_decides_the_table() {
    let set = PolicySet::load_dir(&default_policies()).unwrap();
    let mut evaluator = set.evaluator();
    let cases = [
        (
            tool_call(
                "analyst",
                "database",
                "query",
                json!({"sql": "select * from t where id = 1"}),
            ),
            Verdict::Allow,
        ),
        (
            tool_call("analyst", "database", "list_tables", json!({})),
            Verdict::Allow,
        ),
        (
            tool_call("analyst", "files", "write", json!({"path": "/sandbox/a"})),
            Verdict::Deny,
        ),
        (
            tool_call(
                "analyst",
                "database",
                "query",
                json!({"sql": "DROP TABLE t"}),
            ),
            Verdict::Intercept,
        ),
        (
            tool_call(
                "analyst",
                "database",
                "query",
                json!({"sql": "update t set a = 1"}),
            ),
            Verdict::Intercept,
        ),
        (
            tool_call("analyst", "database", "query", json!({"sql": ["select 1"]})),
            Verdict::Deny,
        ),
        (
            tool_call(
                "writer",
                "files",
                "write",
                json!({"path": "/sandbox/a", "content": "x"}),
            ),
            Verdict::Allow,
        ),
        (
            tool_call("writer", "files", "write", json!({"path": "/etc/passwd"})),
            Verdict::Deny,
        ),
        (
            tool_call(
                "writer",
                "files",
                "write",
                json!({"path": "/sandbox/../etc/passwd"}),
            ),
            Verdict::Deny,
        ),
        (
            tool_call("writer", "email", "send", json!({"to": "bob@example.com"})),
            Verdict::Allow,
        ),
        (
            tool_call("writer", "email", "send", json!({"to": "eve@evil.test"})),
            Verdict::Intercept,
        ),
        (
            tool_call("admin", "anything", "at_all", json!(null)),
            Verdict::Allow,
        ),
        (
            tool_call("admin", "everything", "printEnv", json!({})),
            Verdict::Intercept,
        ),
        (
            tool_call("tester", "everything", "echo", json!({"message": "hi"})),
            Verdict::Allow,
        ),
        (
            tool_call(
                "tester",
                "everything",
                "longRunningOperation",
                json!({"duration": 1}),
            ),
            Verdict::Allow,
        ),
        (
            tool_call(
                "tester",
                "filesystem",
                "write_file",
                json!({"path": "/tmp/behavry-sandbox/a.txt"}),
            ),
            Verdict::Allow,
        ),
        (
            tool_call(
                "tester",
                "filesystem",
                "write_file",
                json!({"path": "/tmp/elsewhere.txt"}),
            ),
            Verdict::Deny,
        ),
        (
            tool_call(
                "tester",
                "filesystem",
                "create_directory",
                json!({"path": "/tmp/behavry-sandbox/d"}),
            ),
            Verdict::Allow,
        ),
        (
            tool_call(
                "tester",
                "filesystem",
                "read_file",
                json!({"path": "/etc/hosts"}),
            ),
            Verdict::Allow,
        ),
        (
            tool_call("tester", "database", "query", json!({"sql": "select 1"})),
            Verdict::Deny,
        ),
        (
            input(
                "tester",
                CallKind::ResourcesRead,
                "everything",
                "test://static/resource/1",
                json!({}),
            ),
            Verdict::Allow,
        ),
        (
            input(
                "tester",
                CallKind::PromptsGet,
                "everything",
                "simple_prompt",
                json!({}),
            ),
            Verdict::Allow,
        ),
        (
            input(
                "analyst",
                CallKind::ResourcesRead,
                "everything",
                "test://static/resource/1",
                json!({}),
            ),
            Verdict::Deny,
        ),
        (
            tool_call("", "database", "query", json!({"sql": "select 1"})),
            Verdict::Deny,
        ),
        (
            tool_call("nobody", "database", "query", json!({"sql": "select 1"})),
            Verdict::Deny,
        ),
    ];
    for (i, (input, expected)) in cases.iter().enumerate() {
        let verdict = evaluator
            .evaluate(input)
            .unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(
            verdict.result, *expected,
            "case {i}: {:?} -> {:?}",
            input.call, verdict
        );
        assert!(
            !verdict.reasons.is_empty(),
            "case {i}: a verdict always carries a reason"
        );
    }
    assert_eq!(evaluator.revision(), set.revision());
}

#[test]
fn reasons_explain_the_decision() {
    let set = PolicySet::load_dir(&default_policies()).unwrap();
    let mut evaluator = set.evaluator();
    let verdict = evaluator
        .evaluate(&tool_call(
            "analyst",
            "files",
            "write",
            json!({"path": "/etc/x"}),
        ))
        .unwrap();
    assert_eq!(
        verdict.reasons,
        vec![
            "files.write outside the sandbox: /etc/x".to_string(),
            "role analyst may not call files.write".to_string()
        ]
    );
}

#[test]
fn evaluate_json_matches_the_typed_path() {
    let set = PolicySet::load_dir(&default_policies()).unwrap();
    let input = tool_call(
        "writer",
        "email",
        "send",
        json!({"to": ["a@example.com", "x@other.test"]}),
    );
    let typed = set.evaluator().evaluate(&input).unwrap();
    let via_json = set
        .evaluate_json(&serde_json::to_value(&input).unwrap())
        .unwrap();
    assert_eq!(typed, via_json);
    assert_eq!(typed.result, Verdict::Intercept);
}
