//! Minting, offline delegation and verification as the honest parties use
//! them, and what policy then sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use behavry_workflow::{
    attenuate, inspect, parse_public_key, BudgetLimits, CallTarget, Charge, Counter, DelegateError,
    Delegation, FlowRule, FlowTracker, MemoryBudgetStore, MintError, NoRevocations, Scope,
    SensitiveRead, TokenVerifier, VerifierConfig, WorkflowAuthority, WorkflowBudget,
    WorkflowContext,
};
use common::*;

#[test]
fn the_root_scope_is_clamped_to_the_starting_agents_ceiling() {
    let authority = WorkflowAuthority::generate();
    let requested = scope(
        &["database.*", "email.send"],
        &["*"],
        &["write", "outbound"],
    );
    let ceiling = scope(&["database.query", "files.*"], &["*"], &["outbound"]);
    let root = authority
        .mint(&start_request("orchestrator", requested, ceiling), at(0))
        .unwrap();
    assert!(root.clamped);
    assert_eq!(
        root.scope,
        scope(&["database.query"], &["*"], &["outbound"])
    );
    let chain = TokenVerifier::new(authority.public_key(), VerifierConfig::default())
        .verify(&root.token, "orchestrator", at(1), &NoRevocations)
        .unwrap();
    assert_eq!(chain.effective_scope, root.scope);
    assert_eq!(chain.chain[0].revocation_id, root.revocation_id);
    assert!(chain.check_call(&CallTarget::tool("email.send")).is_err());
}

#[test]
fn minting_validates_its_request() {
    let authority = WorkflowAuthority::generate();
    let wide = Scope::everything();
    let base = start_request("orchestrator", wide.clone(), wide);
    let cases: Vec<(behavry_workflow::StartRequest, MintError)> = vec![
        (
            behavry_workflow::StartRequest {
                purpose: "  ".into(),
                ..base.clone()
            },
            MintError::Purpose,
        ),
        (
            behavry_workflow::StartRequest {
                purpose: "x".repeat(513),
                ..base.clone()
            },
            MintError::Purpose,
        ),
        (
            behavry_workflow::StartRequest {
                expires: at(0),
                ..base.clone()
            },
            MintError::Expiry,
        ),
        (
            behavry_workflow::StartRequest {
                max_depth: 17,
                ..base.clone()
            },
            MintError::MaxDepth,
        ),
        (
            behavry_workflow::StartRequest {
                max_fanout: 0,
                ..base.clone()
            },
            MintError::MaxFanout,
        ),
        (
            behavry_workflow::StartRequest {
                ceiling: scope(&["files.read"], &[], &[]),
                requested: scope(&["email.send"], &[], &[]),
                ..base.clone()
            },
            MintError::EmptyScope,
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(authority.mint(&request, at(0)).unwrap_err(), expected);
    }
}

#[test]
fn an_agent_delegates_offline_with_the_token_and_public_key_only() {
    let authority = WorkflowAuthority::generate();
    let public_text = authority.public_key_text();
    assert!(public_text.starts_with("ed25519/"));
    let public = parse_public_key(&public_text).unwrap();
    let root = root_token(&authority);
    let delegated = attenuate(
        &root,
        public,
        &Delegation {
            to: agent("researcher"),
            scope: scope(
                &["database.query", "files.read"],
                &["files://reports/*"],
                &[],
            ),
            // Longer than the root: clamped to it.
            expires: at(10_000),
            seal: false,
        },
        at(0),
    )
    .unwrap();
    assert_eq!(delegated.expires, (T0 + 3_600) as u64);
    assert_eq!(delegated.depth, 1);
    let info = inspect(&delegated.token, public).unwrap();
    assert_eq!(info.delegatee.as_str(), "researcher");
    assert_eq!(info.chain.len(), 2);
    let chain = TokenVerifier::new(public, VerifierConfig::default())
        .verify(&delegated.token, "researcher", at(5), &NoRevocations)
        .unwrap();
    let read = |resource| CallTarget {
        resource: Some(resource),
        ..CallTarget::tool("files.read")
    };
    assert_eq!(chain.check_call(&read("files://reports/q3.csv")), Ok(()));
    assert!(chain.check_call(&read("files://hr/salaries.csv")).is_err());
    assert!(chain.check_call(&CallTarget::tool("email.send")).is_err());
}

#[test]
fn delegation_refuses_what_would_be_useless_or_wider() {
    let authority = WorkflowAuthority::generate();
    let public = authority.public_key();
    let root = root_token(&authority);
    let ask = |token: &str, tools: &[&str], flags: &[&str], expires, now| {
        attenuate(
            token,
            public,
            &Delegation {
                to: agent("sub"),
                scope: scope(tools, &["*"], flags),
                expires,
                seal: false,
            },
            now,
        )
    };
    assert!(matches!(
        ask(&root, &["admin.*"], &[], at(60), at(0)),
        Err(DelegateError::Widens(what)) if what == "tool admin.*"
    ));
    let narrow = delegate(
        &authority,
        &root,
        "researcher",
        scope(&["database.query"], &["*"], &[]),
    );
    assert!(matches!(
        ask(&narrow, &["database.query"], &["write"], at(60), at(0)),
        Err(DelegateError::Widens(what)) if what == "flag write"
    ));
    assert_eq!(
        ask(&root, &[], &[], at(60), at(0)).unwrap_err(),
        DelegateError::EmptyScope
    );
    assert_eq!(
        ask(&root, &["email.send"], &[], at(0), at(0)).unwrap_err(),
        DelegateError::Expiry
    );
    assert_eq!(
        ask(&root, &["email.send"], &[], at(7_200), at(3_700)).unwrap_err(),
        DelegateError::Expired((T0 + 3_600) as u64)
    );
    let d2 = delegate(
        &authority,
        &narrow,
        "b",
        scope(&["database.query"], &[], &[]),
    );
    let d3 = delegate(&authority, &d2, "c", scope(&["database.query"], &[], &[]));
    assert_eq!(
        ask(&d3, &["database.query"], &[], at(60), at(0)).unwrap_err(),
        DelegateError::DepthLimit { max: 3 }
    );
    let forged = root_token(&WorkflowAuthority::generate());
    assert!(matches!(
        ask(&forged, &["email.send"], &[], at(60), at(0)),
        Err(DelegateError::Token(_))
    ));
}

#[test]
fn a_sealed_token_cannot_be_delegated_further() {
    let authority = WorkflowAuthority::generate();
    let public = authority.public_key();
    let root = root_token(&authority);
    let sealed = attenuate(
        &root,
        public,
        &Delegation {
            to: agent("mailer"),
            scope: scope(&["email.send"], &["*"], &["outbound"]),
            expires: at(600),
            seal: true,
        },
        at(0),
    )
    .unwrap();
    let v = TokenVerifier::new(public, VerifierConfig::default());
    assert!(v
        .verify(&sealed.token, "mailer", at(1), &NoRevocations)
        .is_ok());
    let further = attenuate(
        &sealed.token,
        public,
        &Delegation {
            to: agent("other"),
            scope: scope(&["email.send"], &[], &[]),
            expires: at(600),
            seal: false,
        },
        at(0),
    );
    assert_eq!(further.unwrap_err(), DelegateError::Sealed);
}

#[test]
fn the_root_key_survives_a_round_trip_through_storage() {
    let authority = WorkflowAuthority::generate();
    let root = root_token(&authority);
    let stored = authority.private_key_text();
    assert!(stored.starts_with("ed25519-private/"));
    assert!(!format!("{authority:?}").contains(stored.trim_start_matches("ed25519-private/")));
    let reloaded = WorkflowAuthority::from_private_key_text(&stored).unwrap();
    assert_eq!(reloaded.public_key_text(), authority.public_key_text());
    let v = TokenVerifier::new(reloaded.public_key(), VerifierConfig::default());
    assert!(v
        .verify(&root, "orchestrator", at(1), &NoRevocations)
        .is_ok());
    assert!(WorkflowAuthority::from_private_key_text("ed25519-private/zz").is_err());
    assert!(WorkflowAuthority::from_private_key_text("nonsense").is_err());
}

#[test]
fn cached_and_uncached_verification_agree() {
    let authority = WorkflowAuthority::generate();
    let root = root_token(&authority);
    let researcher = delegate(
        &authority,
        &root,
        "researcher",
        scope(&["database.*"], &["*"], &[]),
    );
    let cached = TokenVerifier::new(authority.public_key(), VerifierConfig::default());
    let config = VerifierConfig::default();
    for (presenter, now) in [("researcher", 10), ("researcher", 5_000), ("mailer", 10)] {
        for _ in 0..2 {
            let a = cached.verify(&researcher, presenter, at(now), &NoRevocations);
            let b = behavry_workflow::verify(
                &researcher,
                presenter,
                at(now),
                authority.public_key(),
                &NoRevocations,
                &config,
            );
            assert_eq!(
                a.map(|c| c.effective_scope.clone()),
                b.map(|c| c.effective_scope.clone())
            );
        }
    }
}

#[test]
fn policy_input_shows_the_whole_workflow() {
    let authority = WorkflowAuthority::generate();
    let mut limits = BudgetLimits::default();
    limits.set(Counter::Calls, Some(50));
    let root = authority
        .mint(
            &behavry_workflow::StartRequest {
                budgets: limits,
                ..start_request(
                    "orchestrator",
                    scope(&["database.*", "email.send"], &["*"], &["outbound"]),
                    Scope::everything(),
                )
            },
            at(0),
        )
        .unwrap();
    let researcher = delegate(
        &authority,
        &root.token,
        "researcher",
        scope(&["database.query"], &["*"], &[]),
    );
    let chain = TokenVerifier::new(authority.public_key(), VerifierConfig::default())
        .verify(&researcher, "researcher", at(10), &NoRevocations)
        .unwrap();
    let store = MemoryBudgetStore::new();
    let state = store
        .admit_now(
            &WorkflowBudget::of(&chain, None),
            &chain.chain,
            &Charge::call(),
        )
        .unwrap();
    let tracker = FlowTracker::new();
    let read = SensitiveRead {
        agent: agent("researcher"),
        resource: "database.query".into(),
        label: "pii".into(),
        at: (T0 + 10) as u64,
        decision_id: None,
    };
    tracker.record_read(&chain.workflow_id, read);
    let mut context = WorkflowContext::new(&chain);
    context.roles = vec![Some("orchestrator".into()), Some("analyst".into())];
    context.budgets = Some(state);
    context.sensitive_reads = tracker.reads(&chain.workflow_id);
    context.flow_alert = tracker.check_outbound(
        &FlowRule::default(),
        &chain.workflow_id,
        &agent("mailer"),
        (T0 + 20) as u64,
    );
    let value = context.to_policy_value();
    assert_eq!(value["id"], "wf_pipeline");
    assert_eq!(value["purpose"], "weekly churn report");
    assert_eq!(value["depth"], 1);
    assert_eq!(value["max_depth"], 3);
    assert_eq!(value["chain"][0]["agent_id"], "orchestrator");
    assert_eq!(value["chain"][1]["agent_id"], "researcher");
    assert_eq!(value["chain"][1]["role"], "analyst");
    assert_eq!(
        value["scope"]["tools"],
        serde_json::json!(["database.query"])
    );
    assert_eq!(value["scope"]["flags"], serde_json::json!([]));
    assert_eq!(
        value["budgets"]["calls"],
        serde_json::json!({"used": 1, "limit": 50})
    );
    assert_eq!(value["sensitive_reads"][0]["label"], "pii");
    assert_eq!(value["flow_alert"]["mode"], "intercept");
    assert_eq!(value["flow_alert"]["cross_agent"], true);
}
