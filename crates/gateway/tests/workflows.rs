#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Multi-agent workflows through the gateway: starting, offline
//! delegation, and the attack suite — each attack denied with its own
//! reason, recorded in the Decision Trace.

mod workflow_support;

use behavry_core::{KillScope, Verdict};
use behavry_store::{NewKill, NewRevocation};
use behavry_workflow::{attenuate, parse_public_key, AgentRef, Delegation, Scope};
use serde_json::{json, Value};
use workflow_support::{assert_denied, harness, present, Harness};

async fn start(h: &Harness, body: Value) -> Value {
    let (status, started) = h.start("orchestrator", body).await;
    assert_eq!(status, 201, "{started}");
    started
}

fn delegate(h: &Harness, token: &str, to: &str, tools: &[&str], flags: &[&str]) -> String {
    let key = parse_public_key(&h.stage.public_key_text()).unwrap();
    let scope = Scope::parse(tools, &[], flags).unwrap();
    let now = h.clock_now();
    attenuate(
        token,
        key,
        &Delegation {
            to: AgentRef::parse(to).unwrap(),
            scope,
            expires: now + time::Duration::minutes(30),
            seal: false,
        },
        now,
    )
    .unwrap()
    .token
    .to_string()
}

trait ClockNow {
    fn clock_now(&self) -> time::OffsetDateTime;
}
impl ClockNow for Harness {
    fn clock_now(&self) -> time::OffsetDateTime {
        use behavry_gateway::Clock;
        self.clock.now()
    }
}

fn token(started: &Value) -> String {
    started["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn start_clamps_to_the_agents_ceiling_and_records_the_workflow() {
    let h = harness(|_| {}).await;
    let started = start(
        &h,
        json!({"purpose": "weekly report", "scope": {"tools": ["database.*", "files.*", "email.send"], "resources": ["*"], "flags": ["write", "outbound"]}}),
    )
    .await;
    // `writer` may call database.query/list_tables, files.read/list/write and
    // email.send, but not the rest of what the `files` upstream serves.
    assert_eq!(started["clamped"], true, "{started}");
    let tools = started["scope"]["tools"].as_array().unwrap();
    assert!(tools.contains(&json!("files.write")) && tools.contains(&json!("files.read")));
    assert!(!tools.contains(&json!("files.*")) && !tools.contains(&json!("files.send")));
    let id = started["id"].as_str().unwrap();
    let record = h.gw.store.get_workflow(id).await.unwrap().unwrap();
    assert_eq!(record.started_by, "orchestrator");
    assert!(
        !serde_json::to_string(&record)
            .unwrap()
            .contains(&token(&started)),
        "the token itself is never stored"
    );

    let (status, body) = h
        .start(
            "orchestrator",
            json!({"purpose": "x", "scope": {"tools": ["*.query"]}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = h
        .start(
            "researcher",
            json!({"purpose": "x", "scope": {"tools": ["email.*"]}}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("workflow_start_invalid")),
        "nothing in common with the ceiling: {body}"
    );
}

#[tokio::test]
async fn a_delegated_call_is_allowed_and_traced_with_its_chain() {
    let h = harness(|_| {}).await;
    let root = token(
        &start(
            &h,
            json!({"purpose": "p", "scope": {"tools": ["database.*"]}}),
        )
        .await,
    );
    let reply = h
        .call("orchestrator", "database.query", present(&root), None, &[])
        .await;
    assert!(reply.get("result").is_some(), "{reply}");
    let meta = &reply["result"]["_meta"]["io.behavry/workflow"];
    let parent = meta["traceparent"].as_str().unwrap().to_string();
    let (verdict, _, workflow) = h.last_decision().await;
    assert_eq!(
        (verdict, workflow["depth"].as_u64()),
        (Verdict::Allow, Some(0))
    );

    let sub = delegate(&h, &root, "researcher", &["database.query"], &[]);
    let reply = h
        .call(
            "researcher",
            "database.query",
            present(&sub),
            Some(&parent),
            &[],
        )
        .await;
    assert!(reply.get("result").is_some(), "{reply}");
    let (_, _, workflow) = h.last_decision().await;
    let chain: Vec<&str> = workflow["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["agent_id"].as_str().unwrap())
        .collect();
    assert_eq!(chain, ["orchestrator", "researcher"]);
    assert_eq!(workflow["chain"][1]["role"], "analyst");
    assert_eq!(
        workflow["parent_decision"], meta["decision_id"],
        "lineage links the decisions"
    );
    assert_eq!(workflow["budgets"]["calls"]["used"], 2);

    // The token never reaches the upstream; Behavry's span does.
    let seen = h.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for meta in &seen {
        assert!(meta.get("io.behavry/workflow").is_none(), "{meta}");
        assert!(
            meta["traceparent"].as_str().unwrap().starts_with("00-"),
            "{meta}"
        );
    }
    assert_eq!(
        seen[1]["traceparent"].as_str().unwrap().split('-').nth(1),
        parent.split('-').nth(1),
        "same trace id"
    );
}

#[tokio::test]
async fn the_header_carrier_works_and_must_agree_with_meta() {
    let h = harness(|_| {}).await;
    let root = token(
        &start(
            &h,
            json!({"purpose": "p", "scope": {"tools": ["database.*"]}}),
        )
        .await,
    );
    let reply = h
        .call(
            "orchestrator",
            "database.query",
            None,
            None,
            &[("behavry-workflow-token", &root)],
        )
        .await;
    assert!(reply.get("result").is_some(), "{reply}");
    let other = token(
        &start(
            &h,
            json!({"purpose": "q", "scope": {"tools": ["database.*"]}}),
        )
        .await,
    );
    let reply = h
        .call(
            "orchestrator",
            "database.query",
            present(&other),
            None,
            &[("behavry-workflow-token", &root)],
        )
        .await;
    assert_denied(&h, &reply, "workflow_token_malformed").await;
    let reply = h
        .call(
            "orchestrator",
            "database.query",
            Some(json!({"token": root, "id": "wf_other"})),
            None,
            &[],
        )
        .await;
    assert_denied(&h, &reply, "workflow_token_malformed").await;
    // A header that is not visible ASCII is refused, not ignored.
    let reply = h
        .call(
            "orchestrator",
            "database.query",
            None,
            None,
            &[("behavry-workflow-token", "t\u{e9}ken")],
        )
        .await;
    assert_denied(&h, &reply, "workflow_token_malformed").await;
}

#[tokio::test]
async fn attacks_are_denied_with_their_reasons() {
    let h = harness(|_| {}).await;
    let root = token(&start(&h, json!({"purpose": "p", "scope": {"tools": ["database.*", "email.send"], "flags": ["outbound"]}, "max_depth": 1})).await);
    let researcher = delegate(&h, &root, "researcher", &["database.query"], &[]);

    // Presented by an agent that is not the delegatee.
    let reply = h
        .call(
            "outsider",
            "database.query",
            present(&researcher),
            None,
            &[],
        )
        .await;
    assert_denied(&h, &reply, "workflow_not_delegatee").await;
    let (_, _, workflow) = h.last_decision().await;
    assert!(
        workflow["id"].as_str().unwrap().starts_with("wf_"),
        "the denial names the workflow: {workflow}"
    );
    // Outside the effective scope (the hop narrowed to database.query).
    let reply = h
        .call("researcher", "email.send", present(&researcher), None, &[])
        .await;
    assert_denied(&h, &reply, "workflow_scope_exceeded").await;
    // Forged and truncated tokens.
    let reply = h
        .call(
            "researcher",
            "database.query",
            present(&researcher[..researcher.len() - 40]),
            None,
            &[],
        )
        .await;
    assert!(reply.get("error").is_some());
    let (_, reasons, _) = h.last_decision().await;
    assert!(reasons[0].starts_with("workflow_token_"), "{reasons:?}");
    let other = behavry_workflow::WorkflowAuthority::generate();
    let forged = other
        .mint(
            &behavry_workflow::StartSpec {
                purpose: "p".into(),
                scope: Scope::everything(),
                ttl_secs: None,
                max_depth: None,
                max_fanout: None,
                budgets: Default::default(),
            }
            .into_request(
                behavry_workflow::WorkflowId::generate(),
                AgentRef::parse("orchestrator").unwrap(),
                Scope::everything(),
                h.clock_now(),
                &Default::default(),
            )
            .unwrap(),
            h.clock_now(),
        )
        .unwrap();
    let reply = h
        .call(
            "orchestrator",
            "database.query",
            present(&forged.token),
            None,
            &[],
        )
        .await;
    assert_denied(&h, &reply, "workflow_token_bad_signature").await;
    // Depth overflow through call lineage: the mailer's own token is one
    // delegation deep, but its call descends from the researcher's
    // decision (depth 1, another agent), which makes it depth 2 > 1.
    let allowed = h
        .call(
            "researcher",
            "database.query",
            present(&researcher),
            None,
            &[],
        )
        .await;
    let span = allowed["result"]["_meta"]["io.behavry/workflow"]["traceparent"]
        .as_str()
        .unwrap()
        .to_string();
    let mailer = delegate(&h, &root, "mailer", &["database.query"], &[]);
    let reply = h
        .call(
            "mailer",
            "database.query",
            present(&mailer),
            Some(&span),
            &[],
        )
        .await;
    assert_denied(&h, &reply, "workflow_depth_exceeded").await;
    let (_, _, workflow) = h.last_decision().await;
    assert_eq!(
        workflow["depth"], 2,
        "the denial keeps its place in the lineage: {workflow}"
    );
    assert!(workflow["parent_decision"].is_string(), "{workflow}");
    // Offline, a delegation beyond the limit cannot even be made.
    let key = parse_public_key(&h.stage.public_key_text()).unwrap();
    let beyond = attenuate(
        &researcher,
        key,
        &Delegation {
            to: AgentRef::parse("mailer").unwrap(),
            scope: Scope::parse(&["database.query"], &[], &[]).unwrap(),
            expires: h.clock_now() + time::Duration::minutes(5),
            seal: false,
        },
        h.clock_now(),
    );
    assert!(beyond.is_err());
    // Nothing but the one allowed call was forwarded.
    assert_eq!(h.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn expired_revoked_and_killed_workflows_are_refused() {
    let h = harness(|_| {}).await;
    let started = start(
        &h,
        json!({"purpose": "p", "scope": {"tools": ["database.*"]}, "ttl_secs": 600}),
    )
    .await;
    let root = token(&started);
    let sub = delegate(&h, &root, "researcher", &["database.query"], &[]);
    let id = started["id"].as_str().unwrap().to_string();

    // Kill switch on the workflow.
    let kill =
        h.gw.engage_kill(NewKill {
            scope: KillScope::Workflow,
            target: Some(id.clone()),
            reason: "incident".into(),
            engaged_by: "alice".into(),
        })
        .await
        .unwrap();
    let reply = h
        .call("researcher", "database.query", present(&sub), None, &[])
        .await;
    assert!(reply.get("error").is_some(), "{reply}");
    let (verdict, reasons, _) = h.last_decision().await;
    assert_eq!(verdict, Verdict::Deny, "{reasons:?}");
    h.gw.release_kill(&kill.record.id, "alice").await.unwrap();
    let reply = h
        .call("researcher", "database.query", present(&sub), None, &[])
        .await;
    assert!(reply.get("result").is_some(), "released: {reply}");

    // Revoking the root revokes everything delegated from it.
    let record = h.gw.store.get_workflow(&id).await.unwrap().unwrap();
    h.gw.store
        .revoke_delegation(NewRevocation {
            revocation_id: record.root_revocation_id,
            workflow_id: Some(id),
            operator: "alice".into(),
            reason: None,
        })
        .await
        .unwrap();
    h.stage.reload_revocations(&h.gw.store).await.unwrap();
    let reply = h
        .call("researcher", "database.query", present(&sub), None, &[])
        .await;
    assert_denied(&h, &reply, "workflow_token_revoked").await;

    // Expiry follows the (injected) clock.
    let fresh = token(
        &start(
            &h,
            json!({"purpose": "p", "scope": {"tools": ["database.*"]}, "ttl_secs": 60}),
        )
        .await,
    );
    h.clock.advance(time::Duration::minutes(2));
    let reply = h
        .call("orchestrator", "database.query", present(&fresh), None, &[])
        .await;
    assert_denied(&h, &reply, "workflow_token_expired").await;
}

#[tokio::test]
async fn a_budget_split_across_agents_is_enforced_even_under_concurrency() {
    let h = harness(|_| {}).await;
    let root = token(
        &start(
            &h,
            json!({"purpose": "p", "scope": {"tools": ["database.*"]}, "budgets": {"calls": 10}}),
        )
        .await,
    );
    let tokens = [
        ("orchestrator", root.clone()),
        (
            "researcher",
            delegate(&h, &root, "researcher", &["database.query"], &[]),
        ),
        (
            "mailer",
            delegate(&h, &root, "mailer", &["database.query"], &[]),
        ),
    ];
    let h = std::sync::Arc::new(h);
    let calls: Vec<_> = (0..24)
        .map(|i| {
            let h = h.clone();
            let (agent, token) = tokens[i % 3].clone();
            tokio::spawn(async move {
                h.call(agent, "database.query", present(&token), None, &[])
                    .await
            })
        })
        .collect();
    let mut allowed = 0;
    for call in calls {
        if call.await.unwrap().get("result").is_some() {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 10, "exactly the shared budget of calls");
    let reply = h
        .call(
            "researcher",
            "database.query",
            present(&tokens[1].1),
            None,
            &[],
        )
        .await;
    assert_denied(&h, &reply, "workflow_budget_exceeded").await;
}

#[tokio::test]
async fn a_sensitive_read_by_one_agent_then_a_send_by_another_is_held() {
    let h = harness(|_| {}).await;
    let root = token(&start(&h, json!({"purpose": "p", "scope": {"tools": ["database.*", "email.send"], "flags": ["outbound"]}})).await);
    let researcher = delegate(&h, &root, "researcher", &["database.query"], &[]);
    let mailer = delegate(&h, &root, "mailer", &["email.send"], &["outbound"]);
    // Before any sensitive read the send is allowed.
    let reply = h
        .call("mailer", "email.send", present(&mailer), None, &[])
        .await;
    assert!(reply.get("result").is_some(), "{reply}");
    let reply = h
        .call(
            "researcher",
            "database.query",
            present(&researcher),
            None,
            &[],
        )
        .await;
    assert!(reply.get("result").is_some(), "{reply}");
    // Held for approval; nobody approves within the test's timeout.
    let reply = h
        .call("mailer", "email.send", present(&mailer), None, &[])
        .await;
    assert!(reply.get("error").is_some(), "{reply}");
    let (verdict, reasons, workflow) = h.last_decision().await;
    assert_eq!(verdict, Verdict::Intercept, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("workflow_sensitive_flow") && r.contains("researcher")),
        "{reasons:?}"
    );
    assert_eq!(workflow["flow_alert"]["cross_agent"], true);
    assert_eq!(h.seen.lock().unwrap().len(), 2, "the held send never ran");
}

#[tokio::test]
async fn deny_mode_refuses_the_send_and_a_required_token_is_enforced() {
    let h = harness(|w| {
        w.flow_mode = behavry_config::FlowModeSetting::Deny;
        w.require_token = true;
    })
    .await;
    let reply = h
        .call("orchestrator", "database.query", None, None, &[])
        .await;
    assert_denied(&h, &reply, "workflow_token_required").await;
    let root = token(&start(&h, json!({"purpose": "p", "scope": {"tools": ["database.*", "email.send"], "flags": ["outbound"]}})).await);
    let reply = h
        .call("orchestrator", "database.query", present(&root), None, &[])
        .await;
    assert!(reply.get("result").is_some(), "{reply}");
    let reply = h
        .call("orchestrator", "email.send", present(&root), None, &[])
        .await;
    assert_denied(&h, &reply, "workflow_sensitive_flow").await;
}

#[tokio::test]
async fn a_workflow_can_be_started_from_mcp_meta() {
    let h = harness(|_| {}).await;
    let start = json!({"start": {"purpose": "via mcp", "scope": {"tools": ["database.*"]}}});
    let reply = h
        .call("orchestrator", "database.query", Some(start), None, &[])
        .await;
    let started = &reply["result"]["_meta"]["io.behavry/workflow"];
    let token = started["token"]
        .as_str()
        .expect("the result carries the new token")
        .to_string();
    let id = started["id"].as_str().unwrap();
    assert!(h.gw.store.get_workflow(id).await.unwrap().is_some());
    let (verdict, _, workflow) = h.last_decision().await;
    assert_eq!(
        (verdict, workflow),
        (Verdict::Allow, Value::Null),
        "the starting call is decided outside the workflow"
    );
    let reply = h
        .call("orchestrator", "database.query", present(&token), None, &[])
        .await;
    assert!(reply.get("result").is_some(), "{reply}");
    let (_, _, workflow) = h.last_decision().await;
    assert_eq!(workflow["id"].as_str(), Some(id));
    // Starting and presenting at once is malformed.
    let both =
        json!({"start": {"purpose": "x", "scope": {"tools": ["database.*"]}}, "token": token});
    let reply = h
        .call("orchestrator", "database.query", Some(both), None, &[])
        .await;
    assert_denied(&h, &reply, "workflow_token_malformed").await;
}
