//! Arbitrary call arguments and names never make evaluation panic: the
//! default policy always yields a verdict or a typed error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use behavry_core::{EvalError, Evaluate};
use behavry_policy::PolicySet;
use common::strategies::arb_json;
use common::{default_policies, tool_call};
use proptest::prelude::*;

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
