//! Arbitrary call arguments and names never make evaluation panic: the
//! default policy always yields a verdict or a typed error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use behavry_core::{EvalError, Evaluate};
use behavry_policy::PolicySet;
use common::{default_policies, tool_call};
use proptest::prelude::*;
use serde_json::Value;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("/sandbox/a"),
            Just("../x"),
            Just("DROP TABLE t"),
            Just("a@evil.test"),
            Just("~")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("path".to_string()),
            Just("source".to_string()),
            Just("destination".to_string()),
            Just("sql".to_string()),
            Just("to".to_string()),
            Just("cc".to_string()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("files.write".to_string()),
        Just("database.query".to_string()),
        Just("email.send".to_string()),
        Just("filesystem.move_file".to_string()),
        Just("everything.printEnv".to_string()),
        ".{0,16}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn evaluation_never_panics(
        arguments in arb_json(),
        role in prop_oneof![Just("analyst".to_string()), Just("writer".to_string()), Just("admin".to_string()), Just("tester".to_string()), ".{0,8}"],
        name in arb_name(),
    ) {
        static SET: std::sync::OnceLock<PolicySet> = std::sync::OnceLock::new();
        let set = SET.get_or_init(|| PolicySet::load_dir(&default_policies()).unwrap());
        let (upstream, tool) = name.split_once('.').unwrap_or((name.as_str(), ""));
        let input = tool_call(&role, upstream, tool, arguments);
        match set.evaluator().evaluate(&input) {
            Ok(verdict) => prop_assert!(!verdict.reasons.is_empty()),
            Err(EvalError::Failed(_) | EvalError::Timeout | EvalError::Undefined | EvalError::Malformed(_)) => {}
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
        // The JSON path behaves the same on the serialized input.
        let typed = set.evaluator().evaluate(&input);
        let json = set.evaluate_json(&serde_json::to_value(&input).unwrap());
        prop_assert_eq!(typed, json);
    }
}
