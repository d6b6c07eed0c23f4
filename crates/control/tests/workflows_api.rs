#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! `/v1/workflows`: list, one workflow with its decision tree from the
//! trace, revocation of the root or of one block (approvers only, applied
//! at once, recorded in the trace), and the public key.

mod support;

use axum::http::StatusCode;
use behavry_core::{
    AgentId, AgentIdentity, CallKind, DecisionId, Reason, TraceEvent, TraceEventKind, Verdict,
};
use behavry_gateway::workflows::WorkflowStage;
use behavry_gateway::GatewaySettings;
use behavry_store::WorkflowRecord;
use behavry_workflow::{RevocationCheck, RevocationId, WorkflowAuthority};
use serde_json::json;
use std::sync::Arc;
use support::harness_with_settings;
use time::OffsetDateTime;

fn decision(id: &str, agent: &str, workflow: &str, parent: Option<&str>) -> TraceEvent {
    TraceEvent {
        decision_id: DecisionId(id.into()),
        time: OffsetDateTime::now_utc(),
        event: TraceEventKind::Decision {
            agent: AgentIdentity {
                id: AgentId(format!("id-{agent}")),
                name: agent.into(),
                role: "analyst".into(),
                labels: Default::default(),
                owner: None,
            },
            method: CallKind::ToolsCall,
            upstream: "database".into(),
            tool: "query".into(),
            arguments: json!({}),
            verdict: Verdict::Allow,
            reasons: vec![Reason::policy("ok")],
            policy_revision: "r".into(),
            eval_micros: 1,
            session_id: None,
            approval_id: None,
            risk: None,
            scan: None,
            workflow: Some(
                json!({"id": workflow, "depth": 0, "parent_decision": parent, "chain": [{"agent_id": agent}]}),
            ),
        },
    }
}

#[tokio::test]
async fn workflows_are_listed_shown_as_a_tree_and_revoked() {
    let stage = Arc::new(WorkflowStage::new(
        WorkflowAuthority::generate(),
        Default::default(),
        &Default::default(),
    ));
    let h = harness_with_settings(GatewaySettings {
        workflows: Some(stage.clone()),
        ..GatewaySettings::default()
    })
    .await;
    let store = &h.gateway.store;
    let now = OffsetDateTime::now_utc();
    let root = "ab".repeat(64);
    store
        .create_workflow(&WorkflowRecord {
            id: "wf_test".into(),
            purpose: "weekly report".into(),
            started_by: "orchestrator".into(),
            scope: json!({"tools": ["database.*"]}),
            budgets: json!({}),
            max_depth: 3,
            root_revocation_id: root.clone(),
            created_at: now - time::Duration::seconds(1),
            expires_at: now + time::Duration::hours(1),
        })
        .await
        .unwrap();
    for e in [
        decision("d1", "orchestrator", "wf_test", None),
        decision("dx", "other", "wf_other", None),
        decision("d2", "researcher", "wf_test", Some("d1")),
    ] {
        store.append_trace(&e).await.unwrap();
    }

    let r = h.admin("GET", "/v1/workflows", None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["workflows"][0]["id"], "wf_test");
    let r = h.admin("GET", "/v1/workflows/wf_test", None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let decisions = r.body["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    assert_eq!(decisions[0]["decision_id"], "d1");
    assert_eq!(decisions[0]["children"][0]["decision_id"], "d2");
    assert_eq!(
        h.admin("GET", "/v1/workflows/wf_nope", None).await.status,
        StatusCode::NOT_FOUND
    );

    let r = h.admin("GET", "/v1/workflows/public-key", None).await;
    assert_eq!(r.body["public_key"], json!(stage.public_key_text()));

    let r = h
        .admin(
            "POST",
            "/v1/workflows/revocations",
            Some(json!({"revocation_id": "nothex"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = h
        .admin(
            "POST",
            "/v1/workflows/wf_test/revoke",
            Some(json!({"reason": "leak"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        stage
            .revocations_snapshot()
            .is_revoked(&RevocationId::parse(&root).unwrap()),
        "applied to this gateway at once"
    );
    let tail = store.tail_trace(None, 10).await.unwrap();
    assert!(tail.iter().any(|(_, e)| matches!(&e.event, TraceEventKind::Operator { action, .. } if action == "workflow_revoked")));

    let viewer = h
        .operator("vera", "viewer", "correct horse battery staple")
        .await;
    let r = h
        .browser(
            &viewer,
            "POST",
            "/v1/workflows/wf_test/revoke",
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
}
