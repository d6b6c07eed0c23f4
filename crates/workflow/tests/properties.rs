//! Property tests: scope algebra, attenuation never widening, and shared
//! budgets holding under concurrent charges from several agents.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use behavry_workflow::{
    attenuate, BudgetLimits, BudgetStore, Charge, Counter, Counts, Delegation, Flag, LedgerError,
    MemoryBudgetStore, NoRevocations, Pattern, PatternSet, Scope, TokenVerifier, VerifierConfig,
    WorkflowAuthority, WorkflowBudget, WorkflowId,
};
use common::*;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::sync::Arc;

const ALPHABET: &[&str] = &["a", "b", ".", "x"];

fn text(min: usize, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), min..=max)
        .prop_map(|parts| parts.concat())
}

fn pattern() -> impl Strategy<Value = Pattern> {
    prop_oneof![
        text(1, 4).prop_map(Pattern::Exact),
        text(0, 3).prop_map(Pattern::Prefix),
    ]
}

fn pattern_set() -> impl Strategy<Value = PatternSet> {
    prop::collection::vec(pattern(), 0..4).prop_map(PatternSet::from_patterns)
}

fn flags() -> impl Strategy<Value = BTreeSet<Flag>> {
    prop::collection::btree_set(
        prop::sample::select(vec![Flag::Write, Flag::Outbound]),
        0..=2,
    )
}

fn any_scope() -> impl Strategy<Value = Scope> {
    (pattern_set(), pattern_set(), flags()).prop_map(|(tools, resources, flags)| Scope {
        tools,
        resources,
        flags,
    })
}

/// Every name of up to 5 symbols: the semantics checked exhaustively.
fn all_names() -> Vec<String> {
    let mut names = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..5 {
        frontier = frontier
            .iter()
            .flat_map(|n| ALPHABET.iter().map(move |c| format!("{n}{c}")))
            .collect();
        names.extend(frontier.iter().cloned());
    }
    names
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn intersection_is_exact_and_below_both(a in pattern_set(), b in pattern_set()) {
        let both = a.intersect(&b);
        prop_assert!(both.is_subset_of(&a));
        prop_assert!(both.is_subset_of(&b));
        for name in all_names() {
            prop_assert_eq!(both.matches(&name), a.matches(&name) && b.matches(&name), "{}", name);
        }
    }

    #[test]
    fn subset_is_sound(a in pattern_set(), b in pattern_set()) {
        if a.is_subset_of(&b) {
            for name in all_names() {
                prop_assert!(!a.matches(&name) || b.matches(&name), "{}", name);
            }
        }
    }

    #[test]
    fn scope_intersection_never_widens(a in any_scope(), b in any_scope()) {
        let both = a.intersect(&b);
        prop_assert!(both.is_subset_of(&a) && both.is_subset_of(&b));
        prop_assert_eq!(both.intersect(&a), both.clone());
        prop_assert!(both.flags.is_subset(&a.flags));
    }
}

proptest! {
    // Each case mints and verifies real tokens.
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever a holder appends — narrower, wider or unrelated hop records —
    /// the verified scope is within every hop and within the root.
    #[test]
    fn no_sequence_of_attenuations_widens(
        root_scope in any_scope(),
        hops in prop::collection::vec(any_scope(), 1..=3),
    ) {
        prop_assume!(!root_scope.tools.is_empty());
        let authority = WorkflowAuthority::generate();
        let root = authority
            .mint(&start_request("agent-0", root_scope.clone(), Scope::everything()), at(0))
            .unwrap();
        let verifier = TokenVerifier::new(authority.public_key(), VerifierConfig::default());
        let mut token = root.token.to_string();
        let mut parent = root.scope.clone();
        for (i, hop) in hops.iter().enumerate() {
            let to = format!("agent-{}", i + 1);
            let record = serde_json::json!({"v": 1, "to": to, "exp": T0 + 1_800, "scope": hop});
            token = append_record(&authority, &token, record);
            let chain = verifier.verify(&token, &to, at(10), &NoRevocations).unwrap();
            prop_assert!(chain.effective_scope.is_subset_of(&parent));
            prop_assert!(chain.effective_scope.is_subset_of(&root.scope));
            for h in &chain.chain {
                prop_assert!(chain.effective_scope.is_subset_of(&h.scope));
            }
            for name in all_names() {
                let every_hop = chain.chain.iter().all(|h| h.scope.tools.matches(&name));
                prop_assert_eq!(chain.effective_scope.tools.matches(&name), every_hop);
            }
            parent = chain.effective_scope.clone();
        }
    }

    /// The offline helper either refuses or yields a subset of its parent.
    #[test]
    fn honest_attenuation_is_a_subset_or_refused(root_scope in any_scope(), wanted in any_scope()) {
        prop_assume!(!root_scope.tools.is_empty());
        let authority = WorkflowAuthority::generate();
        let root = authority
            .mint(&start_request("agent-0", root_scope, Scope::everything()), at(0))
            .unwrap();
        let result = attenuate(
            &root.token,
            authority.public_key(),
            &Delegation { to: agent("agent-1"), scope: wanted.clone(), expires: at(600), seal: false },
            at(0),
        );
        match result {
            Ok(delegated) => {
                prop_assert!(wanted.is_subset_of(&root.scope));
                let verifier = TokenVerifier::new(authority.public_key(), VerifierConfig::default());
                let chain = verifier.verify(&delegated.token, "agent-1", at(1), &NoRevocations).unwrap();
                prop_assert_eq!(&chain.effective_scope, &wanted);
            }
            Err(_) => prop_assert!(wanted.tools.is_empty() || !wanted.is_subset_of(&root.scope)),
        }
    }
}

#[derive(Debug, Clone)]
struct Attempt {
    amounts: Counts,
    resource: Option<String>,
}

fn attempt() -> impl Strategy<Value = Attempt> {
    (
        0u64..3,
        0u64..2,
        0u64..2,
        0u64..500,
        prop::option::of(0u8..6),
    )
        .prop_map(|(calls, writes, emails, spend, resource)| Attempt {
            amounts: Counts {
                calls,
                writes,
                emails_sent: emails,
                spend_micros: spend,
                ..Counts::default()
            },
            resource: resource.map(|r| format!("files://r{r}")),
        })
}

fn limits() -> impl Strategy<Value = BudgetLimits> {
    (
        prop::option::of(0u64..40),
        prop::option::of(0u64..10),
        prop::option::of(0u64..10),
        prop::option::of(0u64..5_000),
        prop::option::of(0u64..5),
    )
        .prop_map(|(calls, writes, emails, spend, distinct)| BudgetLimits {
            calls,
            writes,
            emails_sent: emails,
            spend_micros: spend,
            distinct_resources: distinct,
            ..BudgetLimits::default()
        })
}

const PRE_CHARGED: [Counter; 4] = [
    Counter::Calls,
    Counter::Writes,
    Counter::EmailsSent,
    Counter::SpendMicros,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Several agents charging one workflow from their own threads: no
    /// counter ends above its limit, nothing accepted is lost, and every
    /// refusal was justified.
    #[test]
    fn ceilings_hold_under_concurrent_charges(
        limits in limits(),
        per_agent in prop::collection::vec(prop::collection::vec(attempt(), 1..25), 2..=4),
    ) {
        let store = Arc::new(MemoryBudgetStore::new());
        let authority = WorkflowAuthority::generate();
        let root = root_token(&authority);
        let verifier = TokenVerifier::new(authority.public_key(), VerifierConfig::default());
        let chain = verifier.verify(&root, "orchestrator", at(1), &NoRevocations).unwrap();
        let budget = WorkflowBudget {
            workflow: WorkflowId::parse("wf_concurrent").unwrap(),
            limits,
            ..WorkflowBudget::of(&chain, None)
        };
        let handles: Vec<_> = per_agent
            .into_iter()
            .map(|attempts| {
                let store = Arc::clone(&store);
                let budget = budget.clone();
                let hops = chain.chain.clone();
                std::thread::spawn(move || {
                    attempts
                        .into_iter()
                        .map(|a| {
                            let charge = Charge { amounts: a.amounts, resource: a.resource.clone(), needs_read_budget: false };
                            let result = futures::executor::block_on(store.admit(&budget, &hops, &charge));
                            (a, result)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let outcomes: Vec<_> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let used = futures::executor::block_on(store.state(&budget.workflow)).unwrap().unwrap().used;
        let mut accepted = Counts::default();
        let mut resources = BTreeSet::new();
        for (attempt, result) in &outcomes {
            match result {
                Ok(_) => {
                    accepted.calls += attempt.amounts.calls;
                    accepted.writes += attempt.amounts.writes;
                    accepted.emails_sent += attempt.amounts.emails_sent;
                    accepted.spend_micros += attempt.amounts.spend_micros;
                    resources.extend(attempt.resource.clone());
                }
                Err(LedgerError::Budget(e)) => {
                    // Counters only grow: what was too much then is too much now.
                    let limit = limits.get(e.counter).unwrap();
                    prop_assert_eq!(e.limit, limit);
                    prop_assert!(used.get(e.counter) + e.requested > limit);
                }
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
        for counter in PRE_CHARGED {
            prop_assert_eq!(used.get(counter), accepted.get(counter), "{}", counter);
            if let Some(limit) = limits.get(counter) {
                prop_assert!(used.get(counter) <= limit, "{} {} > {}", counter, used.get(counter), limit);
            }
        }
        prop_assert_eq!(used.distinct_resources, resources.len() as u64);
        if let Some(limit) = limits.distinct_resources {
            prop_assert!(used.distinct_resources <= limit);
        }
    }
}
