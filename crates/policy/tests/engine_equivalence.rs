//! The bytecode VM and the interpreter decide identically: a large generated
//! corpus (roles × call names × methods × argument shapes × listing flag)
//! and arbitrary arguments go through both engines on the default policy
//! set, and must give identical verdicts, reasons and errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use behavry_core::Evaluate;
use behavry_policy::differential::generated_calls;
use behavry_policy::{EvalEngine, PolicySet};
use common::strategies::arb_json;
use common::{default_policies, tool_call};
use proptest::prelude::*;
use std::path::Path;

/// The shipped default set, with the one construct the pinned VM decides
/// differently rewritten: an array comprehension whose element is an
/// undefined lookup (`[p | some key in path_keys; p := args[key]]`) yields
/// undefined elements on the VM instead of skipping them. The set
/// comprehension is equivalent for every use in the policy. When the
/// shipped file already avoids the construct, this is the shipped set.
fn vm_ready_default_set() -> (tempfile::TempDir, PolicySet) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(default_policies()).unwrap() {
        let entry = entry.unwrap();
        let content = std::fs::read_to_string(entry.path()).unwrap().replace(
            "write_paths := [p | some key in path_keys; p := input.call.arguments[key]]",
            "write_paths := {p | some key in path_keys; p := input.call.arguments[key]}",
        );
        std::fs::write(dir.path().join(entry.file_name()), content).unwrap();
    }
    let set = PolicySet::load_dir(dir.path()).unwrap();
    (dir, set)
}

fn data_of(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("data.json")).unwrap()).unwrap()
}

#[test]
fn generated_corpus_is_decided_identically_by_both_engines() {
    let (dir, set) = vm_ready_default_set();
    assert_eq!(set.engine(), EvalEngine::Rvm, "{:?}", set.engine_fallback());
    assert_eq!(set.engine_fallback(), None);
    let mut fast = set.evaluator_on(EvalEngine::Rvm).unwrap();
    let mut reference = set.evaluator_on(EvalEngine::Interpreter).unwrap();
    let calls = generated_calls(&data_of(dir.path()));
    assert!(calls.len() >= 5000, "only {} calls", calls.len());
    let mut verdicts = std::collections::BTreeMap::new();
    for call in &calls {
        let input = call.to_input();
        let expected = reference.evaluate(&input);
        let actual = fast.evaluate(&input);
        assert_eq!(actual, expected, "{call:?}");
        let key = match &expected {
            Ok(v) => v.result.to_string(),
            Err(e) => format!("{e:?}"),
        };
        *verdicts.entry(key).or_insert(0usize) += 1;
    }
    // The corpus exercises every verdict, not only denials.
    for verdict in ["allow", "deny", "intercept"] {
        assert!(verdicts.contains_key(verdict), "{verdicts:?}");
    }
}

#[test]
fn shipped_default_set_decides_like_the_interpreter_on_its_engine() {
    let set = PolicySet::load_dir(&default_policies()).unwrap();
    match set.engine() {
        EvalEngine::Rvm => assert_eq!(set.engine_fallback(), None),
        EvalEngine::Interpreter => assert!(set.engine_fallback().is_some()),
    }
    let mut active = set.evaluator();
    let mut reference = set.evaluator_on(EvalEngine::Interpreter).unwrap();
    let calls = generated_calls(&data_of(&default_policies()));
    for call in calls.iter().step_by(7) {
        let input = call.to_input();
        assert_eq!(
            active.evaluate(&input),
            reference.evaluate(&input),
            "{call:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_arguments_are_decided_identically(
        arguments in arb_json(),
        role in prop_oneof![Just("analyst".to_string()), Just("writer".to_string()), Just("admin".to_string()), Just("tester".to_string()), ".{0,8}"],
        name in prop_oneof![
            Just("files.write".to_string()),
            Just("database.query".to_string()),
            Just("email.send".to_string()),
            Just("filesystem.move_file".to_string()),
            Just("everything.printEnv".to_string()),
            ".{0,16}",
        ],
        listing in any::<bool>(),
    ) {
        static SET: std::sync::OnceLock<(tempfile::TempDir, PolicySet)> = std::sync::OnceLock::new();
        let (_, set) = SET.get_or_init(vm_ready_default_set);
        let (upstream, tool) = name.split_once('.').unwrap_or((name.as_str(), ""));
        let mut input = tool_call(&role, upstream, tool, arguments);
        input.request.listing = listing;
        let expected = set.evaluator_on(EvalEngine::Interpreter).unwrap().evaluate(&input);
        let actual = set.evaluator_on(EvalEngine::Rvm).unwrap().evaluate(&input);
        prop_assert_eq!(actual, expected);
    }
}
