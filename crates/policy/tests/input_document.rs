//! The `input` document policies see is exactly the serde serialization of
//! `behavry_core::PolicyInput`, and docs/policy.md shows it faithfully.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use behavry_core::{CallKind, PolicyInput};
use behavry_policy::{input_value, PolicySet};
use common::{default_policies, input, tool_call};
use serde_json::json;

fn via_json_text(input: &PolicyInput) -> regorus::Value {
    regorus::Value::from_json_str(&serde_json::to_string(input).unwrap()).unwrap()
}

#[test]
fn direct_input_value_equals_the_serde_serialization() {
    let mut full = input(
        "analyst",
        CallKind::ResourcesRead,
        "docs",
        "file:///a b.txt",
        json!({"n": 1.5, "big": u64::MAX, "neg": -3, "list": [null, true, {"x": "y"}]}),
    );
    full.risk = Some(json!({"score": 0.7}));
    full.scan = Some(json!([]));
    full.workflow = Some(json!("wf"));
    full.request.meta = Some(json!({"progressToken": 3}));
    full.request.listing = true;

    let mut sparse = tool_call("", "", "", serde_json::Value::Null);
    sparse.agent.owner = None;
    sparse.agent.labels.clear();
    sparse.request.session_id = None;
    sparse.request.client = None;

    for case in [
        full,
        sparse,
        tool_call(
            "writer",
            "files",
            "write",
            json!({"path": "/sandbox/ü", "content": "\u{0}"}),
        ),
    ] {
        assert_eq!(
            input_value(&case).unwrap(),
            via_json_text(&case),
            "{case:?}"
        );
    }
}

fn documented_input_example() -> serde_json::Value {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/policy.md"))
        .unwrap();
    let section = doc
        .split("<!-- input-example -->")
        .nth(1)
        .expect("docs/policy.md marks the input example");
    let block = section
        .split("```json")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    serde_json::from_str(block).unwrap()
}

#[test]
fn documented_example_is_exactly_a_serialized_policy_input() {
    let example = documented_input_example();
    let parsed: PolicyInput = serde_json::from_value(example.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), example);
}

#[test]
fn documented_example_is_decided_by_the_default_policy() {
    let set = PolicySet::load_dir(&default_policies()).unwrap();
    let verdict = set.evaluate_json(&documented_input_example()).unwrap();
    assert_eq!(verdict.result, behavry_core::Verdict::Allow, "{verdict:?}");
}
