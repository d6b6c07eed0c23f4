//! Proptest strategies shared by the policy crate's integration tests.

use proptest::prelude::*;
use serde_json::Value;

/// Arbitrary JSON call arguments, biased towards the keys and values the
/// default policy inspects.
pub fn arb_json() -> impl Strategy<Value = Value> {
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
