//! The attack suite: each attempt must be refused with its own reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use behavry_workflow::{
    verify, CallTarget, NoRevocations, RevocationSet, ScopeViolation, TokenVerifier,
    VerifierConfig, WorkflowAuthority, WorkflowDenial,
};
use biscuit_auth::format::schema;
use biscuit_auth::Biscuit;
use common::*;
use prost::Message;

fn deny(authority: &WorkflowAuthority, token: &str, presenter: &str, now: i64) -> WorkflowDenial {
    verifier(authority)
        .verify(token, presenter, at(now), &NoRevocations)
        .expect_err("must be denied")
}

fn to_proto(token: &str, authority: &WorkflowAuthority) -> schema::Biscuit {
    let bytes = Biscuit::from_base64(token, authority.public_key())
        .unwrap()
        .to_vec()
        .unwrap();
    schema::Biscuit::decode(bytes.as_slice()).unwrap()
}

fn from_proto(proto: &schema::Biscuit) -> String {
    base64::engine::general_purpose::URL_SAFE.encode(proto.encode_to_vec())
}

#[test]
fn token_presented_by_an_agent_that_is_not_its_delegatee() {
    let authority = WorkflowAuthority::generate();
    let (root, researcher, mailer) = pipeline(&authority);
    for (token, presenter, delegatee) in [
        (&mailer, "researcher", "mailer"),
        (&mailer, "intruder", "mailer"),
        (&researcher, "mailer", "researcher"),
        (&root, "researcher", "orchestrator"),
    ] {
        match deny(&authority, token, presenter, 10) {
            WorkflowDenial::NotDelegatee {
                presenter: p,
                delegatee: d,
            } => {
                assert_eq!((p.as_str(), d.as_str()), (presenter, delegatee));
            }
            other => panic!("expected NotDelegatee, got {other:?}"),
        }
    }
}

#[test]
fn a_hop_record_adding_rights_grants_nothing() {
    let authority = WorkflowAuthority::generate();
    let (_, researcher, _) = pipeline(&authority);
    // The researcher writes a hop for the mailer claiming more than it holds:
    // files.delete, every tool, the write flag.
    let widened = append_hop(
        &authority,
        &researcher,
        "mailer",
        1_800,
        &["*", "files.delete"],
        &["*"],
        &["write", "outbound"],
    );
    let chain = verifier(&authority)
        .verify(&widened, "mailer", at(10), &NoRevocations)
        .unwrap();
    let researcher_scope = &chain.chain[1].scope;
    assert_eq!(&chain.effective_scope, researcher_scope);
    for tool in ["files.delete", "admin.drop", "files.write"] {
        assert_eq!(
            chain.check_call(&CallTarget::tool(tool)),
            Err(WorkflowDenial::ScopeExceeded(ScopeViolation::Tool(
                tool.into()
            )))
        );
    }
    let write = CallTarget {
        write: true,
        ..CallTarget::tool("database.query")
    };
    assert_eq!(
        chain.check_call(&write),
        Err(WorkflowDenial::ScopeExceeded(ScopeViolation::Flag(
            behavry_workflow::Flag::Write
        )))
    );
    assert_eq!(
        chain.check_call(&CallTarget::tool("database.query")),
        Ok(())
    );
}

#[test]
fn anything_but_a_hop_record_and_its_expiry_check_is_refused() {
    let authority = WorkflowAuthority::generate();
    let (_, researcher, _) = pipeline(&authority);
    let record = || {
        Some(hop_record(
            "mailer",
            1_800,
            &["email.send"],
            &["*"],
            &["outbound"],
        ))
    };
    let check = expiry_check(T0 + 1_800);
    let extras = [
        // Rights, identity and limits restated in the block.
        format!(
            r#"{check} tool("*"); flag("write"); workflow("wf_other"); max_depth(16); budget("calls", 1000000);"#
        ),
        // A rule deriving rights.
        format!("{check} tool($x) <- delegatee($x);"),
        // More checks: an earlier expiry, a pinned presenter, a costly join.
        format!("{check} check if time($t), $t <= {};", rfc3339(600)),
        format!(r#"{check} check if presenter("someone-else");"#),
        format!("{check} n(1); n(2); check if n($a), n($b), n($c), $a + $b + $c == 0;"),
        // The check missing, or disagreeing with the record.
        String::new(),
        expiry_check(T0 + 900),
        expiry_check(T0 + 3_600),
    ];
    for datalog in extras {
        let token = append_raw(&authority, &researcher, record(), &datalog);
        assert!(
            matches!(
                deny(&authority, &token, "mailer", 10),
                WorkflowDenial::Malformed(_)
            ),
            "{datalog}"
        );
    }
    // The same block with exactly its check is accepted.
    let token = append_raw(&authority, &researcher, record(), &check);
    assert!(verifier(&authority)
        .verify(&token, "mailer", at(10), &NoRevocations)
        .is_ok());
}

#[test]
fn a_token_signed_by_another_key_is_forged() {
    let authority = WorkflowAuthority::generate();
    let forger = WorkflowAuthority::generate();
    let forged = root_token(&forger);
    assert_eq!(
        deny(&authority, &forged, "orchestrator", 10),
        WorkflowDenial::BadSignature
    );
}

#[test]
fn a_rewritten_hop_record_breaks_the_signature() {
    let authority = WorkflowAuthority::generate();
    let (_, _, mailer) = pipeline(&authority);
    let mut proto = to_proto(&mailer, &authority);
    let mut block = schema::Block::decode(proto.blocks[1].block.as_slice()).unwrap();
    block.context = Some(hop_record(
        "mailer",
        1_800,
        &["*"],
        &["*"],
        &["write", "outbound"],
    ));
    proto.blocks[1].block = block.encode_to_vec();
    assert_eq!(
        deny(&authority, &from_proto(&proto), "mailer", 10),
        WorkflowDenial::BadSignature
    );
}

#[test]
fn a_chain_with_its_last_or_a_middle_hop_removed_is_refused() {
    let authority = WorkflowAuthority::generate();
    let (_, _, mailer) = pipeline(&authority);
    let mut without_last = to_proto(&mailer, &authority);
    without_last.blocks.pop();
    // The researcher's token with the mailer's proof: the chain no longer
    // ends where the proof says it does.
    assert_eq!(
        deny(&authority, &from_proto(&without_last), "researcher", 10),
        WorkflowDenial::BadSignature
    );
    let mut without_middle = to_proto(&mailer, &authority);
    without_middle.blocks.remove(0);
    assert_eq!(
        deny(&authority, &from_proto(&without_middle), "mailer", 10),
        WorkflowDenial::BadSignature
    );
}

#[test]
fn a_hop_spliced_in_from_another_token_is_refused() {
    let authority = WorkflowAuthority::generate();
    let (_, researcher, _) = pipeline(&authority);
    let root = root_token(&authority);
    let other = delegate(
        &authority,
        &root,
        "researcher",
        scope(
            &["database.*", "files.*", "email.send"],
            &["*"],
            &["write", "outbound"],
        ),
    );
    // Put the wider hop of another token of the same workflow into this one.
    let mut proto = to_proto(&researcher, &authority);
    let donor = to_proto(&other, &authority);
    proto.blocks[0] = donor.blocks[0].clone();
    assert_eq!(
        deny(&authority, &from_proto(&proto), "researcher", 10),
        WorkflowDenial::BadSignature
    );
}

#[test]
fn truncated_or_garbled_tokens_are_malformed() {
    let authority = WorkflowAuthority::generate();
    let (_, _, mailer) = pipeline(&authority);
    for bad in [
        mailer[..mailer.len() / 2].to_string(),
        mailer[..40].to_string(),
        "not a token".to_string(),
        String::new(),
        "a".repeat(20_000),
    ] {
        assert!(
            matches!(
                deny(&authority, &bad, "mailer", 10),
                WorkflowDenial::Malformed(_)
            ),
            "{}",
            bad.len()
        );
    }
}

#[test]
fn a_block_without_a_valid_hop_record_is_malformed() {
    let authority = WorkflowAuthority::generate();
    let root = root_token(&authority);
    let cases = [
        None,
        Some("not json".to_string()),
        Some(r#"{"v":1,"to":"mailer","exp":1,"scope":{},"admin":true}"#.to_string()),
        Some(r#"{"v":2,"to":"mailer","exp":1,"scope":{}}"#.to_string()),
        Some(hop_record("mailer", 1_800, &["*.send"], &[], &[])),
        Some(hop_record("mail er", 1_800, &["email.send"], &[], &[])),
    ];
    for context in cases {
        let token = append_raw(&authority, &root, context.clone(), "");
        assert!(
            matches!(
                deny(&authority, &token, "mailer", 10),
                WorkflowDenial::Malformed(_)
            ),
            "{context:?}"
        );
    }
}

#[test]
fn third_party_blocks_are_not_part_of_the_format() {
    let authority = WorkflowAuthority::generate();
    let root = root_token(&authority);
    let biscuit = Biscuit::from_base64(&root, authority.public_key()).unwrap();
    let request = biscuit.third_party_request().unwrap();
    let outsider = biscuit_auth::KeyPair::new();
    let block = biscuit_auth::builder::BlockBuilder::new().context(hop_record(
        "mailer",
        1_800,
        &["*"],
        &["*"],
        &[],
    ));
    let response = request.create_block(&outsider.private(), block).unwrap();
    let token = biscuit
        .append_third_party(outsider.public(), response)
        .unwrap()
        .to_base64()
        .unwrap();
    assert!(matches!(
        deny(&authority, &token, "mailer", 10),
        WorkflowDenial::Malformed(_)
    ));
}

#[test]
fn depth_overflow_is_refused() {
    let authority = WorkflowAuthority::generate();
    let (_, _, mailer) = pipeline(&authority);
    // Depth 2 → 3 through honest delegation, then a raw fourth hop: the
    // offline helper refuses it, so the attacker appends it directly.
    let third = delegate(
        &authority,
        &mailer,
        "mailer-2",
        scope(&["email.send"], &[], &[]),
    );
    assert!(verifier(&authority)
        .verify(&third, "mailer-2", at(10), &NoRevocations)
        .is_ok());
    let fourth = append_hop(
        &authority,
        &third,
        "mailer-3",
        1_800,
        &["email.send"],
        &[],
        &[],
    );
    assert_eq!(
        deny(&authority, &fourth, "mailer-3", 10),
        WorkflowDenial::DepthExceeded { depth: 4, max: 3 }
    );
    // A deployment limit below the workflow's wins.
    let strict = TokenVerifier::new(
        authority.public_key(),
        VerifierConfig {
            max_depth: 1,
            ..VerifierConfig::default()
        },
    );
    assert_eq!(
        strict
            .verify(&mailer, "mailer", at(10), &NoRevocations)
            .unwrap_err(),
        WorkflowDenial::DepthExceeded { depth: 2, max: 1 }
    );
}

#[test]
fn expired_tokens_are_refused_at_the_earliest_hop_expiry() {
    let authority = WorkflowAuthority::generate();
    let (root, researcher, _) = pipeline(&authority);
    // The root lasts an hour; the researcher's hop half an hour.
    assert!(verifier(&authority)
        .verify(&root, "orchestrator", at(3_000), &NoRevocations)
        .is_ok());
    assert_eq!(
        deny(&authority, &researcher, "researcher", 1_801),
        WorkflowDenial::Expired {
            expired_at: (T0 + 1_800) as u64
        }
    );
    assert_eq!(
        deny(&authority, &root, "orchestrator", 3_601),
        WorkflowDenial::Expired {
            expired_at: (T0 + 3_600) as u64
        }
    );
    // A hop record that claims a later expiry than its parent changes nothing.
    let longer = append_hop(
        &authority,
        &researcher,
        "mailer",
        7_200,
        &["email.send"],
        &["*"],
        &["outbound"],
    );
    assert!(matches!(
        deny(&authority, &longer, "mailer", 2_000),
        WorkflowDenial::Expired { .. }
    ));
}

#[test]
fn revoking_a_hop_revokes_everything_delegated_from_it() {
    let authority = WorkflowAuthority::generate();
    let (root, researcher, mailer) = pipeline(&authority);
    let sibling = delegate(
        &authority,
        &root,
        "analyst",
        scope(&["database.query"], &[], &[]),
    );
    let v = verifier(&authority);
    let researcher_hop = v
        .verify(&researcher, "researcher", at(10), &NoRevocations)
        .unwrap()
        .chain[1]
        .revocation_id
        .clone();
    let mut revoked = RevocationSet::new();
    revoked.revoke(researcher_hop.clone());
    for (token, presenter) in [(&researcher, "researcher"), (&mailer, "mailer")] {
        assert_eq!(
            v.verify(token, presenter, at(10), &revoked).unwrap_err(),
            WorkflowDenial::Revoked {
                hop: 1,
                id: researcher_hop.clone()
            }
        );
    }
    assert!(v.verify(&root, "orchestrator", at(10), &revoked).is_ok());
    assert!(v.verify(&sibling, "analyst", at(10), &revoked).is_ok());
    // Revoking the root stops every token of the workflow.
    let root_id = v
        .verify(&root, "orchestrator", at(10), &NoRevocations)
        .unwrap()
        .chain[0]
        .revocation_id
        .clone();
    let mut all = RevocationSet::new();
    all.revoke(root_id);
    assert!(matches!(
        v.verify(&sibling, "analyst", at(10), &all).unwrap_err(),
        WorkflowDenial::Revoked { hop: 0, .. }
    ));
    // The kill switch stops the workflow by id.
    let mut killed = RevocationSet::new();
    killed.kill(behavry_workflow::WorkflowId::parse("wf_pipeline").unwrap());
    assert_eq!(
        v.verify(&mailer, "mailer", at(10), &killed).unwrap_err(),
        WorkflowDenial::WorkflowKilled
    );
    // The uncached path agrees.
    assert!(matches!(
        verify(
            &mailer,
            "mailer",
            at(10),
            authority.public_key(),
            &revoked,
            &VerifierConfig::default()
        ),
        Err(WorkflowDenial::Revoked { hop: 1, .. })
    ));
}

fn rfc3339(offset: i64) -> String {
    at(offset)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}
