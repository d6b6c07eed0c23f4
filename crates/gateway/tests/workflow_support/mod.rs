//! A gateway with workflows enabled, four agents and an in-test MCP
//! upstream serving `database`, `email` and `files`, driven through the
//! real router with modern-era JSON-RPC POSTs.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use behavry_core::{TraceEvent, TraceEventKind, Verdict};
use behavry_gateway::workflows::{load_root_key, WorkflowStage};
use behavry_gateway::{hash_credential, Gateway, GatewaySettings, ManualClock, Upstreams};
use behavry_policy::PolicyHandle;
use behavry_store::{NewAgent, Store};
use behavry_upstream::{UpstreamSpec, UpstreamTransport};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::macros::datetime;
use tower::ServiceExt;

pub const MODERN: &str = "2026-07-28";
/// (name, role): roles from the shipped policy data.
pub const AGENTS: [(&str, &str); 4] = [
    ("orchestrator", "writer"),
    ("researcher", "analyst"),
    ("mailer", "writer"),
    ("outsider", "writer"),
];

pub fn credential(agent: &str) -> String {
    format!("bhv_{agent}-workflow-test-credential-0123456789")
}

/// The `_meta` of every request the upstream received.
pub type Seen = Arc<Mutex<Vec<Value>>>;

async fn upstream(seen: Seen) -> String {
    let app = axum::Router::new().route(
        "/mcp",
        axum::routing::post(move |body: axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                let id = body.get("id").cloned().unwrap_or(Value::Null);
                let method = body.get("method").and_then(Value::as_str).unwrap_or("");
                let tool = |name: &str| json!({"name": name, "inputSchema": {"type": "object"}});
                let result = match method {
                    "server/discover" => json!({
                        "supportedVersions": [MODERN],
                        "capabilities": {"tools": {}},
                        "serverInfo": {"name": "workflow-test", "version": "1"},
                    }),
                    "tools/list" => json!({"tools": [
                        tool("query"), tool("list_tables"), tool("send"), tool("read"), tool("write"),
                    ]}),
                    "tools/call" => {
                        let meta = body["params"].get("_meta").cloned().unwrap_or(Value::Null);
                        seen.lock().unwrap().push(meta);
                        json!({
                            "content": [{"type": "text", "text": "ok"}],
                            "structuredContent": {"row_count": 10},
                        })
                    }
                    _ => {
                        return axum::Json(json!({"jsonrpc": "2.0", "id": id,
                            "error": {"code": -32601, "message": "method not found"}}))
                    }
                };
                axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}/mcp")
}

pub struct Harness {
    pub gw: Arc<Gateway>,
    pub stage: Arc<WorkflowStage>,
    pub clock: Arc<ManualClock>,
    pub seen: Seen,
    pub app: axum::Router,
    _dir: tempfile::TempDir,
}

pub async fn harness(configure: impl FnOnce(&mut behavry_config::WorkflowSettings)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(&dir.path().join("data")).await.unwrap();
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let policy = PolicyHandle::load_dir(&policies).unwrap();
    let seen: Seen = Arc::default();
    let url = upstream(seen.clone()).await;
    let specs = ["database", "email", "files"]
        .iter()
        .map(|name| UpstreamSpec {
            name: (*name).into(),
            transport: UpstreamTransport::Http {
                url: url.clone(),
                headers: vec![],
            },
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
        })
        .collect();
    let risk = behavry_config::RiskSettings {
        enabled: false,
        sensitive_tools: vec!["database.query".into()],
        outbound_tools: vec!["email.send".into()],
        ..Default::default()
    };
    let mut workflow_settings = behavry_config::WorkflowSettings {
        write_tools: vec!["files.write".into()],
        ..Default::default()
    };
    configure(&mut workflow_settings);
    let (authority, _) = load_root_key(&store, &dir.path().join("data"), None)
        .await
        .unwrap();
    let stage = Arc::new(WorkflowStage::new(authority, workflow_settings, &risk));
    let settings = GatewaySettings {
        approval_timeout: Duration::from_secs(1),
        risk,
        workflows: Some(stage.clone()),
        ..GatewaySettings::default()
    };
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 10:00 UTC)));
    let gw = Gateway::with_clock(
        settings,
        policy,
        store.clone(),
        Upstreams::new(specs, vec![]),
        clock.clone(),
    );
    for (name, role) in AGENTS {
        store
            .create_agent(NewAgent {
                name: name.into(),
                role: role.into(),
                labels: Default::default(),
                owner: None,
                credential_hash: hash_credential(&credential(name)),
            })
            .await
            .unwrap();
    }
    gw.reload_agents().await.unwrap();
    let app = behavry_gateway::router(gw.clone());
    Harness {
        gw,
        stage,
        clock,
        seen,
        app,
        _dir: dir,
    }
}

impl Harness {
    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let response = self.app.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// `POST /workflows` as `agent`.
    pub async fn start(&self, agent: &str, body: Value) -> (StatusCode, Value) {
        let req = Request::builder()
            .method("POST")
            .uri("/workflows")
            .header("host", "localhost")
            .header("authorization", format!("Bearer {}", credential(agent)))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// A `tools/call` as `agent`; `workflow` goes into `_meta`, `headers`
    /// are added to the request.
    pub async fn call(
        &self,
        agent: &str,
        tool: &str,
        workflow: Option<Value>,
        traceparent: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Value {
        let mut meta = json!({
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
        });
        if let Some(w) = workflow {
            meta["io.behavry/workflow"] = w;
        }
        if let Some(tp) = traceparent {
            meta["traceparent"] = json!(tp);
        }
        let body = json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments(tool), "_meta": meta},
        });
        let mut req = Request::builder()
            .method("POST")
            .uri("/mcp")
            .header("host", "localhost")
            .header("authorization", format!("Bearer {}", credential(agent)))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", "tools/call")
            .header("mcp-name", tool);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::from(body.to_string())).unwrap())
            .await
            .1
    }

    /// The latest Decision in the trace: (verdict, reasons, input.workflow).
    pub async fn last_decision(&self) -> (Verdict, Vec<String>, Value) {
        let events: Vec<(u64, TraceEvent)> = self.gw.store.tail_trace(None, 1000).await.unwrap();
        events
            .iter()
            .rev()
            .find_map(|(_, e)| match &e.event {
                TraceEventKind::Decision {
                    verdict,
                    reasons,
                    workflow,
                    ..
                } => Some((
                    *verdict,
                    reasons.iter().map(|r| r.message.clone()).collect(),
                    workflow.clone().unwrap_or(Value::Null),
                )),
                _ => None,
            })
            .expect("a decision was traced")
    }
}

fn arguments(tool: &str) -> Value {
    match tool {
        "email.send" => json!({"to": "bob@example.com", "subject": "report", "body": "numbers"}),
        _ => json!({"sql": "select 1"}),
    }
}

/// `_meta["io.behavry/workflow"]` presenting `token`.
pub fn present(token: &str) -> Option<Value> {
    Some(json!({"token": token}))
}

/// Assert the call was denied and the traced reason starts with `code`.
pub async fn assert_denied(h: &Harness, reply: &Value, code: &str) {
    assert!(
        reply.get("error").is_some(),
        "expected a denial, got {reply}"
    );
    let (verdict, reasons, _) = h.last_decision().await;
    assert_eq!(verdict, Verdict::Deny, "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.starts_with(code)),
        "expected reason {code}, got {reasons:?}"
    );
}
