#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The behavioural-risk reference case end to end through the gateway,
//! with an injected clock: four weeks of office-hours `database.query`
//! work by `data-analyst-primary` (role `analyst`) and two peers, then
//!
//! - Tuesday 10:14, a usual query → allowed, score ≈ 0.18;
//! - Wednesday from 02:05, a burst of queries at night: the first is
//!   intercepted on the hour alone (≈ 0.72); at 02:47 the 39th of the hour
//!   — call volume 4.4× the agent's rolling baseline — is intercepted at
//!   ≈ 0.84 with the call volume the dominant factor, the factors in the
//!   Decision trace and in the approval request, in words; none is
//!   approved, so the burst teaches the baseline nothing.
//!
//! The decided calls (and the Tuesday-morning calls before them) go through
//! the real router as modern-era JSON-RPC POSTs, to an in-test MCP upstream
//! over Streamable HTTP, with the shipped policy set. The four weeks of
//! history are fed straight into the gateway's baselines (tens of
//! thousands of HTTP calls would only slow the test down).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use behavry_baseline::Observation;
use behavry_core::{TraceEvent, TraceEventKind, Verdict};
use behavry_gateway::{hash_credential, Gateway, GatewaySettings, ManualClock, Upstreams};
use behavry_policy::PolicyHandle;
use behavry_store::{BaselineKind, NewAgent, Store};
use behavry_upstream::{UpstreamSpec, UpstreamTransport};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;
use time::OffsetDateTime;
use tower::ServiceExt;

const AGENT: &str = "data-analyst-primary";
const PEERS: [&str; 2] = ["data-analyst-2", "data-analyst-3"];
const TABLES: [&str; 3] = ["sales", "orders", "products"];
const CREDENTIAL: &str = "bhv_risk-reference-credential-0123456789abcdef";
const MODERN: &str = "2026-07-28";

/// A minimal modern-era MCP server: `server/discover`, `tools/list` and a
/// `query` tool whose result reports `row_count` rows (set by the test).
async fn upstream(rows: Arc<AtomicU64>) -> String {
    let app = axum::Router::new().route(
        "/mcp",
        axum::routing::post(move |body: axum::Json<Value>| {
            let rows = rows.clone();
            async move {
                let id = body.get("id").cloned().unwrap_or(Value::Null);
                let method = body.get("method").and_then(Value::as_str).unwrap_or("");
                let result = match method {
                    "server/discover" => json!({
                        "supportedVersions": [MODERN],
                        "capabilities": {"tools": {}},
                        "serverInfo": {"name": "risk-test-db", "version": "1"},
                    }),
                    "tools/list" => json!({"tools": [{
                        "name": "query",
                        "description": "Run one SQL statement",
                        "inputSchema": {"type": "object", "properties": {"sql": {"type": "string"}}},
                    }]}),
                    "tools/call" => {
                        let n = rows.load(Ordering::SeqCst);
                        json!({
                            "content": [{"type": "text", "text": format!("{n} rows")}],
                            "structuredContent": {"columns": ["id"], "rows": [], "row_count": n},
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

struct Harness {
    gw: Arc<Gateway>,
    clock: Arc<ManualClock>,
    rows: Arc<AtomicU64>,
    app: axum::Router,
    _dir: tempfile::TempDir,
}

async fn harness(start: OffsetDateTime) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(&dir.path().join("data")).await.unwrap();
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let policy = PolicyHandle::load_dir(&policies).unwrap();
    let rows = Arc::new(AtomicU64::new(1000));
    let url = upstream(rows.clone()).await;
    let upstreams = Upstreams::new(
        vec![UpstreamSpec {
            name: "database".into(),
            transport: UpstreamTransport::Http {
                url,
                headers: vec![],
            },
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
        }],
        vec![],
    );
    let settings = GatewaySettings {
        // An intercepted call nobody answers is denied quickly.
        approval_timeout: Duration::from_secs(1),
        // A burst of held calls in the reference case.
        approval_rate_per_minute: 1_000,
        max_pending_per_agent: 100,
        ..GatewaySettings::default()
    };
    let clock = Arc::new(ManualClock::new(start));
    let gw = Gateway::with_clock(settings, policy, store.clone(), upstreams, clock.clone());
    store
        .create_agent(NewAgent {
            name: AGENT.into(),
            role: "analyst".into(),
            labels: Default::default(),
            owner: Some("data-team".into()),
            credential_hash: hash_credential(CREDENTIAL),
        })
        .await
        .unwrap();
    gw.reload_agents().await.unwrap();
    let app = behavry_gateway::router(gw.clone());
    Harness {
        gw,
        clock,
        rows,
        app,
        _dir: dir,
    }
}

fn query(agent: &str, t: OffsetDateTime, volume: f64) -> Observation {
    let mut o = Observation::new(t, agent, "analyst", "database.query");
    let i = (t.unix_timestamp() / 60) as usize;
    o.resource = Some(TABLES[i % TABLES.len()].to_string());
    o.volume = Some(volume);
    o
}

/// Deterministic jitter in [0.7, 1.3).
fn jitter(i: u64) -> f64 {
    0.7 + 0.6 * ((i as f64 * 0.618_033_988_7).fract())
}

/// Four weeks of office hours (Monday–Friday, 08:00–18:00, eight queries
/// an hour of about 1,000 rows) by the agent and its two peers.
fn train_history(gw: &Gateway) {
    let start = datetime!(2026-02-02 00:00 UTC); // a Monday
    gw.risk
        .with_baselines(|b| {
            let mut i = 0u64;
            for day in 0..28i64 {
                if day % 7 >= 5 {
                    continue;
                }
                for hour in 8..18i64 {
                    for call in 0..8i64 {
                        for agent in std::iter::once(AGENT).chain(PEERS) {
                            i += 1;
                            let minute = (call * 7 + (i % 5) as i64) % 60;
                            let t = start
                                + time::Duration::days(day)
                                + time::Duration::hours(hour)
                                + time::Duration::minutes(minute);
                            b.update(&query(agent, t, (1000.0 * jitter(i)).round()));
                        }
                    }
                }
            }
        })
        .expect("the baseline is enabled by default");
}

fn observations(gw: &Gateway) -> u64 {
    gw.risk
        .with_baselines(|b| b.agent(AGENT).map_or(0, |p| p.observations))
        .unwrap()
}

/// One modern-era `tools/call` of `database.query` through the router.
async fn call(h: &Harness, id: i64, sql: &str) -> Value {
    call_with(h, id, json!({"sql": sql})).await
}

async fn call_with(h: &Harness, id: i64, arguments: Value) -> Value {
    let body = json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {
            "name": "database.query",
            "arguments": arguments,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    });
    let req = Request::builder()
        .method("POST")
        .uri("/mcp")
        .header("host", "localhost")
        .header("authorization", format!("Bearer {CREDENTIAL}"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", "tools/call")
        .header("mcp-name", "database.query")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = h.app.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

/// The latest Decision event in the trace: (verdict, risk, reasons).
async fn last_decision(gw: &Gateway) -> (Verdict, Value, Vec<String>) {
    let events: Vec<(u64, TraceEvent)> = gw.store.tail_trace(None, 1000).await.unwrap();
    events
        .iter()
        .rev()
        .find_map(|(_, e)| match &e.event {
            TraceEventKind::Decision {
                verdict,
                risk,
                reasons,
                ..
            } => Some((
                *verdict,
                risk.clone().unwrap_or(Value::Null),
                reasons.iter().map(|r| r.message.clone()).collect(),
            )),
            _ => None,
        })
        .expect("a decision was traced")
}

fn detail(risk: &Value, factor: &str) -> String {
    risk["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == factor)
        .unwrap_or_else(|| panic!("factor {factor} in {risk}"))["detail"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn usual_call_is_allowed_and_night_call_is_intercepted() {
    let h = harness(datetime!(2026-03-03 10:00 UTC)).await;
    train_history(&h.gw);

    // Tuesday morning: a few usual queries through the gateway; each one
    // that ran trains the baseline with its result's row count.
    let before = observations(&h.gw);
    for (i, (minute, rows)) in [(0, 950), (5, 1100), (10, 1020)].into_iter().enumerate() {
        h.clock
            .set(datetime!(2026-03-03 10:00 UTC) + time::Duration::minutes(minute));
        h.rows.store(rows, Ordering::SeqCst);
        let reply = call(&h, i as i64 + 1, "SELECT * FROM sales").await;
        assert!(reply.get("result").is_some(), "{reply}");
    }
    assert_eq!(observations(&h.gw), before + 3, "calls that ran train");

    // 10:14: a usual query is allowed at a low score.
    h.clock.set(datetime!(2026-03-03 10:14 UTC));
    h.rows.store(1000, Ordering::SeqCst);
    let reply = call(&h, 10, "SELECT * FROM orders").await;
    assert!(reply.get("result").is_some(), "{reply}");
    let (verdict, risk, _) = last_decision(&h.gw).await;
    println!("10:14 → {}", serde_json::to_string_pretty(&risk).unwrap());
    assert_eq!(verdict, Verdict::Allow);
    let score = risk["score"].as_f64().unwrap();
    assert!((0.1..0.3).contains(&score), "10:14 score {score}");
    assert_eq!(risk["learning"], false);

    // Wednesday night, from 02:05: a burst of queries, each held for a
    // person who never answers (the first on the hour alone).
    let before = observations(&h.gw);
    h.clock.set(datetime!(2026-03-04 02:05 UTC));
    h.rows.store(1_000, Ordering::SeqCst);
    let reply = call(&h, 11, "SELECT * FROM sales").await;
    assert!(reply.get("error").is_some(), "not forwarded: {reply}");
    let (verdict, first, reasons) = last_decision(&h.gw).await;
    println!("02:05 → {}", serde_json::to_string_pretty(&first).unwrap());
    assert_eq!(verdict, Verdict::Intercept, "{reasons:?}");
    let first_score = first["score"].as_f64().unwrap();
    assert!(
        (0.7..0.75).contains(&first_score),
        "02:05 score {first_score}"
    );
    assert!(
        detail(&first, "time_of_week").starts_with(
            "off-hours (Wednesday 02:05): agent is usually active 08:00–18:00, Monday–Friday"
        ),
        "{first}"
    );
    h.clock.set(datetime!(2026-03-04 02:20 UTC));
    let sql: Vec<String> = (0..37)
        .map(|i| format!("SELECT * FROM sales LIMIT {i}"))
        .collect();
    let burst: Vec<_> = sql
        .iter()
        .zip(100..)
        .map(|(sql, id)| call(&h, id, sql))
        .collect();
    for reply in futures::future::join_all(burst).await {
        assert!(reply.get("error").is_some(), "not forwarded: {reply}");
    }

    // 02:47: the 39th query of the hour, 4.4× the agent's usual volume.
    h.clock.set(datetime!(2026-03-04 02:47 UTC));
    let reply = call(&h, 12, "SELECT * FROM orders").await;
    let (verdict, risk, reasons) = last_decision(&h.gw).await;
    println!("02:47 → {}", serde_json::to_string_pretty(&risk).unwrap());
    assert!(reply.get("error").is_some(), "not forwarded: {reply}");
    assert_eq!(verdict, Verdict::Intercept, "{reasons:?}");
    let night = risk["score"].as_f64().unwrap();
    assert!((0.75..0.88).contains(&night), "02:47 score {night}");
    let factors = risk["factors"].as_array().unwrap();
    let dominant = factors
        .iter()
        .max_by(|a, b| {
            let c = |f: &Value| f["contribution"].as_f64().unwrap();
            c(a).total_cmp(&c(b))
        })
        .unwrap();
    assert_eq!(dominant["name"], "call_volume", "{risk}");
    assert_eq!(dominant["observed"], 39.0, "{risk}");
    let summary = risk["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("call volume 4.4× the rolling baseline for this hour (39 calls")
            && summary.contains(
                "; off-hours (Wednesday 02:47): agent is usually active 08:00–18:00, Monday–Friday"
            ),
        "{summary}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("behavioural risk") && r.contains("call volume 4.4×")),
        "{reasons:?}"
    );
    // The approval request carries the same assessment.
    let approvals = h.gw.store.list_approvals(None, 100).await.unwrap();
    let approval = approvals
        .iter()
        .find(|a| a.context["risk"]["score"] == risk["score"])
        .expect("an approval was requested with the assessment");
    assert_eq!(approval.context["risk"]["summary"], risk["summary"]);
    assert_eq!(
        approval.context["risk"]["factors"].as_array().map(Vec::len),
        risk["factors"].as_array().map(Vec::len)
    );
    // Not approved: none of the night calls ran, so they taught nothing.
    assert_eq!(observations(&h.gw), before);

    // The profiles reach the store and come back in a fresh gateway.
    let written = h.gw.flush_baselines().await.unwrap();
    assert!(written >= 4, "agent, two peers and the role: {written}");
    let stored = h.gw.store.list_baselines().await.unwrap();
    assert!(stored
        .iter()
        .any(|r| r.kind == BaselineKind::Agent && r.key == AGENT));
    assert!(stored
        .iter()
        .any(|r| r.kind == BaselineKind::Role && r.key == "analyst"));
    let fresh = Gateway::new(
        GatewaySettings::default(),
        h.gw.policy.clone(),
        h.gw.store.clone(),
        Upstreams::new(vec![], vec![]),
    );
    assert_eq!(fresh.restore_baselines().await.unwrap(), stored.len());
    assert_eq!(observations(&fresh), observations(&h.gw));
    let (profile, text) = fresh.risk.profile(AGENT).unwrap();
    assert_eq!(profile["agent"], AGENT);
    assert!(text.contains("database.query"), "{text}");
}

#[tokio::test]
async fn a_denied_call_is_scored_but_does_not_train() {
    let h = harness(datetime!(2026-03-03 10:00 UTC)).await;
    let reply = call(&h, 1, "SELECT * FROM sales").await;
    assert!(reply.get("result").is_some(), "{reply}");
    assert_eq!(observations(&h.gw), 1, "a call that ran trains");
    let (_, risk, _) = last_decision(&h.gw).await;
    assert_eq!(risk["learning"], true, "a new agent is learning: {risk}");

    // A non-string `sql` argument: the default policy denies it.
    h.clock.advance(time::Duration::minutes(1));
    let reply = call_with(&h, 2, json!({"sql": 7})).await;
    assert!(reply.get("error").is_some(), "{reply}");
    let (verdict, risk, _) = last_decision(&h.gw).await;
    assert_eq!(verdict, Verdict::Deny);
    assert!(
        risk["score"].is_number(),
        "denied calls are scored too: {risk}"
    );
    assert_eq!(observations(&h.gw), 1, "a denied call never trains");
}

#[tokio::test]
async fn disabled_risk_leaves_input_risk_null_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).await.unwrap();
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let settings = GatewaySettings {
        risk: behavry_config::RiskSettings {
            enabled: false,
            ..Default::default()
        },
        ..GatewaySettings::default()
    };
    let off = Gateway::new(
        settings,
        PolicyHandle::load_dir(&policies).unwrap(),
        store.clone(),
        Upstreams::new(vec![], vec![]),
    );
    assert!(!off.risk.enabled());
    assert!(off.risk.profile(AGENT).is_none());
    assert_eq!(off.flush_baselines().await.unwrap(), 0);
    assert_eq!(off.restore_baselines().await.unwrap(), 0);
    assert!(store.list_baselines().await.unwrap().is_empty());
}
