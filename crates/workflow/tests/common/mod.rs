//! Shared helpers: a deployment authority, root tokens, honest delegation
//! and the raw block appends an attacker could make with Biscuit directly.
#![allow(dead_code)]

use behavry_workflow::{
    attenuate, AgentRef, BudgetLimits, Delegation, Scope, StartRequest, TokenVerifier,
    VerifierConfig, WorkflowAuthority, WorkflowId,
};
use biscuit_auth::builder::BlockBuilder;
use biscuit_auth::Biscuit;
use std::collections::HashMap;
use time::OffsetDateTime;

/// 2026-11-01T00:00:00Z.
pub const T0: i64 = 1_793_491_200;

pub fn at(offset_secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(T0 + offset_secs).unwrap()
}

pub fn agent(id: &str) -> AgentRef {
    AgentRef::parse(id).unwrap()
}

pub fn scope(tools: &[&str], resources: &[&str], flags: &[&str]) -> Scope {
    Scope::parse(tools, resources, flags).unwrap()
}

pub fn start_request(starter: &str, requested: Scope, ceiling: Scope) -> StartRequest {
    StartRequest {
        workflow: WorkflowId::parse("wf_pipeline").unwrap(),
        purpose: "weekly churn report".into(),
        starter: agent(starter),
        requested,
        ceiling,
        expires: at(3_600),
        max_depth: 3,
        max_fanout: 4,
        budgets: BudgetLimits::default(),
    }
}

/// A root token for `orchestrator` over db, files and mail, valid one hour.
pub fn root_token(authority: &WorkflowAuthority) -> String {
    let wide = scope(
        &["database.*", "files.*", "email.send"],
        &["*"],
        &["write", "outbound"],
    );
    authority
        .mint(
            &start_request("orchestrator", wide, Scope::everything()),
            at(0),
        )
        .unwrap()
        .token
        .to_string()
}

/// Honest offline delegation.
pub fn delegate(authority: &WorkflowAuthority, token: &str, to: &str, scope: Scope) -> String {
    attenuate(
        token,
        authority.public_key(),
        &Delegation {
            to: agent(to),
            scope,
            expires: at(1_800),
            seal: false,
        },
        at(0),
    )
    .unwrap()
    .token
    .to_string()
}

/// Append a block with an arbitrary context and Datalog, as anyone holding
/// the token could with Biscuit's own API.
pub fn append_raw(
    authority: &WorkflowAuthority,
    token: &str,
    context: Option<String>,
    datalog: &str,
) -> String {
    let biscuit = Biscuit::from_base64(token, authority.public_key()).unwrap();
    let mut block = BlockBuilder::new();
    if !datalog.is_empty() {
        block = block
            .code_with_params(datalog, HashMap::new(), HashMap::new())
            .unwrap();
    }
    if let Some(context) = context {
        block = block.context(context);
    }
    biscuit.append(block).unwrap().to_base64().unwrap()
}

/// The expiry check a delegation block carries, as Biscuit prints it.
pub fn expiry_check(exp_unix: i64) -> String {
    let date = OffsetDateTime::from_unix_timestamp(exp_unix)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    format!("check if time($t), $t <= {date};")
}

/// A well-formed delegation block with any hop record (the record's own
/// `exp` gives the check), appended with Biscuit directly — what a holder
/// can do without Behavry's helper, which refuses to widen.
pub fn append_record(
    authority: &WorkflowAuthority,
    token: &str,
    record: serde_json::Value,
) -> String {
    let exp = record["exp"].as_i64().unwrap();
    append_raw(
        authority,
        token,
        Some(record.to_string()),
        &expiry_check(exp),
    )
}

/// `append_record` with a record built from parts.
pub fn append_hop(
    authority: &WorkflowAuthority,
    token: &str,
    to: &str,
    exp_offset: i64,
    tools: &[&str],
    resources: &[&str],
    flags: &[&str],
) -> String {
    let record: serde_json::Value =
        serde_json::from_str(&hop_record(to, exp_offset, tools, resources, flags)).unwrap();
    append_record(authority, token, record)
}

/// A hop record as the format writes it.
pub fn hop_record(
    to: &str,
    exp_offset: i64,
    tools: &[&str],
    resources: &[&str],
    flags: &[&str],
) -> String {
    serde_json::json!({
        "v": 1,
        "to": to,
        "exp": T0 + exp_offset,
        "scope": {"tools": tools, "resources": resources, "flags": flags},
    })
    .to_string()
}

/// A verifier with the default configuration.
pub fn verifier(authority: &WorkflowAuthority) -> TokenVerifier {
    TokenVerifier::new(authority.public_key(), VerifierConfig::default())
}

/// orchestrator → researcher → mailer.
pub fn pipeline(authority: &WorkflowAuthority) -> (String, String, String) {
    let root = root_token(authority);
    let researcher = delegate(
        authority,
        &root,
        "researcher",
        scope(
            &["database.*", "files.read", "email.send"],
            &["*"],
            &["outbound"],
        ),
    );
    let mailer = delegate(
        authority,
        &researcher,
        "mailer",
        scope(&["email.send"], &["*"], &["outbound"]),
    );
    (root, researcher, mailer)
}
