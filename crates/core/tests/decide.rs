#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! The decision step: guards, verdict validation and fail-closed behaviour.

use behavry_core::*;
use proptest::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

struct Fixed(Result<PolicyVerdict, EvalError>);

impl Evaluate for Fixed {
    fn evaluate(&mut self, _input: &PolicyInput) -> Result<PolicyVerdict, EvalError> {
        self.0.clone()
    }
    fn revision(&self) -> &str {
        "rev-1"
    }
}

fn input() -> PolicyInput {
    let agent = AgentIdentity {
        id: AgentId("a1".into()),
        name: "analyst".into(),
        role: "analyst".into(),
        labels: Default::default(),
        owner: None,
    };
    let call = ToolCall {
        method: CallKind::ToolsCall,
        upstream: "database".into(),
        tool: "query".into(),
        arguments: json!({"sql": "select 1"}),
    };
    PolicyInput::new(
        agent,
        call,
        OffsetDateTime::UNIX_EPOCH,
        RequestMeta::default(),
    )
}

fn verdict(result: Verdict, reasons: &[&str]) -> Result<PolicyVerdict, EvalError> {
    Ok(PolicyVerdict {
        result,
        reasons: reasons.iter().map(|s| s.to_string()).collect(),
    })
}

/// (name, guards, what the policy returns, expected verdict, source of the first reason)
type Case = (
    &'static str,
    Guards,
    Result<PolicyVerdict, EvalError>,
    Verdict,
    ReasonSource,
);

#[test]
fn table_of_outcomes() {
    let cases: Vec<Case> = vec![
        (
            "allow passes",
            Guards::default(),
            verdict(Verdict::Allow, &["ok"]),
            Verdict::Allow,
            ReasonSource::Policy,
        ),
        (
            "deny passes",
            Guards::default(),
            verdict(Verdict::Deny, &["no"]),
            Verdict::Deny,
            ReasonSource::Policy,
        ),
        (
            "intercept passes",
            Guards::default(),
            verdict(Verdict::Intercept, &["hold"]),
            Verdict::Intercept,
            ReasonSource::Policy,
        ),
        (
            "undefined denies",
            Guards::default(),
            Err(EvalError::Undefined),
            Verdict::Deny,
            ReasonSource::Error,
        ),
        (
            "timeout denies",
            Guards::default(),
            Err(EvalError::Timeout),
            Verdict::Deny,
            ReasonSource::Error,
        ),
        (
            "failure denies",
            Guards::default(),
            Err(EvalError::Failed("boom".into())),
            Verdict::Deny,
            ReasonSource::Error,
        ),
        (
            "malformed denies",
            Guards::default(),
            Err(EvalError::Malformed("x".into())),
            Verdict::Deny,
            ReasonSource::Error,
        ),
        (
            "no policy denies",
            Guards::default(),
            Err(EvalError::NoPolicy),
            Verdict::Deny,
            ReasonSource::Error,
        ),
        (
            "kill switch beats allow",
            Guards {
                kill_switch: Some("incident 42".into()),
            },
            verdict(Verdict::Allow, &[]),
            Verdict::Deny,
            ReasonSource::Guard,
        ),
    ];
    for (name, guards, outcome, expected, source) in cases {
        let decision = decide(
            DecisionId("d".into()),
            &input(),
            &guards,
            &mut Fixed(outcome),
        );
        assert_eq!(decision.verdict, expected, "{name}");
        assert_eq!(decision.reasons[0].source, source, "{name}");
        assert_eq!(decision.policy_revision, "rev-1", "{name}");
    }
}

#[test]
fn non_allow_without_reason_gets_one() {
    let decision = decide(
        DecisionId("d".into()),
        &input(),
        &Guards::default(),
        &mut Fixed(verdict(Verdict::Intercept, &[])),
    );
    assert_eq!(decision.reasons.len(), 1);
    assert!(decision.reasons[0].message.contains("intercept"));
}

#[test]
fn verdict_json_is_validated_strictly() {
    let ok = PolicyVerdict::from_json(&json!({"result": "allow", "reasons": ["a"]})).unwrap();
    assert_eq!(ok.result, Verdict::Allow);
    assert_eq!(
        PolicyVerdict::from_json(&json!({"result": "deny"}))
            .unwrap()
            .reasons
            .len(),
        0
    );
    for bad in [
        json!("allow"),
        json!({"result": "maybe"}),
        json!({"result": 1}),
        json!({"reasons": []}),
        json!({"result": "allow", "reasons": "a"}),
        json!({"result": "allow", "reasons": [1]}),
        json!({"result": "allow", "extra": true}),
    ] {
        assert!(PolicyVerdict::from_json(&bad).is_err(), "{bad}");
    }
}

#[test]
fn input_document_shape() {
    let value = serde_json::to_value(input()).unwrap();
    assert_eq!(value["call"]["method"], "tools/call");
    assert_eq!(value["time"]["weekday"], "thursday");
    assert_eq!(value["time"]["hour"], 0);
    assert_eq!(value["request"]["listing"], false);
    assert!(value["risk"].is_null() && value["scan"].is_null() && value["workflow"].is_null());
}

fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Whatever JSON a policy returns, decide never allows unless the JSON
    /// is exactly a well-formed allow.
    #[test]
    fn only_well_formed_allow_allows(value in any_json()) {
        let parsed = PolicyVerdict::from_json(&value).map_err(EvalError::Malformed);
        let well_formed_allow = matches!(&parsed, Ok(v) if v.result == Verdict::Allow);
        let decision = decide(DecisionId("d".into()), &input(), &Guards::default(), &mut Fixed(parsed));
        prop_assert_eq!(decision.verdict == Verdict::Allow, well_formed_allow);
    }

    #[test]
    fn kill_switch_always_denies(result in prop_oneof![Just(Verdict::Allow), Just(Verdict::Deny), Just(Verdict::Intercept)]) {
        let guards = Guards { kill_switch: Some("stop".into()) };
        let decision = decide(DecisionId("d".into()), &input(), &guards, &mut Fixed(verdict(result, &["r"])));
        prop_assert_eq!(decision.verdict, Verdict::Deny);
    }

    #[test]
    fn redaction_never_leaks_sensitive_values(secret in "[a-zA-Z0-9]{8,20}", key in "(password|api_key|Token|client_secret)") {
        let args = json!({"outer": {key.clone(): secret.clone()}, "list": [{key: secret.clone()}]});
        let out = redact_arguments(&args, &Redaction::default());
        prop_assert!(!out.to_string().contains(&secret));
    }
}
