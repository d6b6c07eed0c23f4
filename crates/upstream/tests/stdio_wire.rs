//! Exact stdio wire behaviour against scripted servers that record what
//! they receive: cancellation notices, server->client request routing and
//! answers, environment pass-through.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use behavry_upstream::{CancellationToken, ServerMessage, UpstreamConnection, UpstreamTransport};
use common::{client_init, spec};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const INIT_REPLY: &str =
    r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{}}}"#;

fn scripted(script: &str, log: &Path) -> UpstreamTransport {
    UpstreamTransport::Stdio {
        command: "sh".to_owned(),
        args: vec!["-c".to_owned(), script.to_owned()],
        env: vec![("WIRE_LOG".to_owned(), log.to_string_lossy().into_owned())],
        cwd: None,
    }
}

fn logged_messages(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn cancelled_timed_out_and_dropped_requests_send_cancel_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("wire.log");
    let script = format!("read line; echo '{INIT_REPLY}'; cat > \"$WIRE_LOG\"");
    let mut spec = spec("recorder", scripted(&script, &log));
    spec.request_timeout = Duration::from_millis(300);
    let conn = UpstreamConnection::connect(&spec, &client_init(true))
        .await
        .unwrap();

    let already_cancelled = CancellationToken::new();
    already_cancelled.cancel();
    assert!(conn
        .request("never/sent", None, None, already_cancelled)
        .await
        .is_err());
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        trigger.cancel();
    });
    assert!(conn.request("slow/a", None, None, cancel).await.is_err());
    assert!(conn
        .request("slow/b", None, None, CancellationToken::new())
        .await
        .is_err());
    let dropped = tokio::time::timeout(
        Duration::from_millis(50),
        conn.request("slow/c", None, None, CancellationToken::new()),
    )
    .await;
    assert!(dropped.is_err());
    tokio::time::sleep(Duration::from_millis(200)).await;

    let messages = logged_messages(&log);
    let methods: Vec<&str> = messages
        .iter()
        .filter_map(|m| m["method"].as_str())
        .collect();
    assert_eq!(methods[0], "notifications/initialized", "{methods:?}");
    assert!(!methods.contains(&"never/sent"), "{methods:?}");
    let cancels = messages
        .iter()
        .filter(|m| m["method"] == "notifications/cancelled")
        .count();
    assert_eq!(
        cancels, 3,
        "only started requests are cancelled: {messages:?}"
    );
    for method in ["slow/a", "slow/b", "slow/c"] {
        let request = messages
            .iter()
            .find(|m| m["method"] == method)
            .expect(method);
        let id = &request["id"];
        let cancels: Vec<&Value> = messages
            .iter()
            .filter(|m| m["method"] == "notifications/cancelled" && &m["params"]["requestId"] == id)
            .collect();
        assert_eq!(cancels.len(), 1, "{method} -> {messages:?}");
        assert!(cancels[0]["params"]["reason"].is_string());
    }
    let ids: Vec<&Value> = messages
        .iter()
        .filter(|m| m["id"].is_number())
        .map(|m| &m["id"])
        .collect();
    assert_eq!(
        ids,
        [&json!(3), &json!(4), &json!(5)],
        "fresh ids per request"
    );
    conn.close().await;
}

#[tokio::test]
async fn server_request_goes_to_interim_and_response_is_written_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("wire.log");
    let script = format!(
        "read line; echo '{INIT_REPLY}'; read initialized; read request; \
         echo '{{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{{\"level\":\"info\",\"data\":\"unrelated\"}}}}'; \
         echo '{{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"roots/list\"}}'; \
         read answer; echo \"$answer\" > \"$WIRE_LOG\"; \
         echo '{{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{{\"ok\":true}}}}'; sleep 30"
    );
    let conn =
        UpstreamConnection::connect(&spec("asker", scripted(&script, &log)), &client_init(true))
            .await
            .unwrap();
    let mut broadcast = conn.subscribe();
    let (tx, mut rx) = mpsc::channel(4);
    let answering = tokio::spawn({
        let conn = conn.clone();
        async move {
            let Some(ServerMessage::Request(request)) = rx.recv().await else {
                panic!("expected a server request on the interim channel")
            };
            assert_eq!(request["method"], "roots/list");
            conn.respond(request["id"].clone(), Ok(json!({"roots": []})))
                .await
                .unwrap();
        }
    });
    let result = conn
        .request(
            "tools/call",
            Some(json!({"name": "x"})),
            Some(tx),
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result, json!({"ok": true}));
    answering.await.unwrap();
    assert_eq!(
        logged_messages(&log),
        [json!({"jsonrpc": "2.0", "id": "srv-1", "result": {"roots": []}})]
    );
    let ServerMessage::Notification(note) = broadcast.recv().await.unwrap() else {
        panic!("expected the unrelated notification on the broadcast")
    };
    assert_eq!(note["params"]["data"], "unrelated");
    conn.close().await;
}

/// The gateway's own environment (which may hold its secrets) does not leak
/// into upstream children; only configured `env` and the inherited basics do.
#[tokio::test]
async fn child_does_not_inherit_the_gateway_environment() {
    std::env::set_var("BEHAVRY_TEST_GATEWAY_SECRET", "do-not-leak");
    let script = r#"
import json, os, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("method") == "initialize":
        result = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": {"name": "env", "version": "1"}}
        print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}), flush=True)
    elif "id" in msg:
        env = {k: v for k, v in os.environ.items() if k.startswith("BEHAVRY_TEST") or k == "PATH"}
        print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": env}), flush=True)
"#;
    let spec = behavry_upstream::UpstreamSpec {
        name: "env".into(),
        transport: behavry_upstream::UpstreamTransport::Stdio {
            command: "python3".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("BEHAVRY_TEST_CONFIGURED".into(), "given".into())],
            cwd: None,
        },
        request_timeout: std::time::Duration::from_secs(10),
        connect_timeout: std::time::Duration::from_secs(10),
    };
    let init = behavry_upstream::ClientInit::new(
        serde_json::json!({}),
        serde_json::json!({"name": "t", "version": "1"}),
    );
    let conn = behavry_upstream::UpstreamConnection::connect(&spec, &init)
        .await
        .unwrap();
    let env = conn
        .request(
            "env/dump",
            None,
            None,
            behavry_upstream::CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(env["BEHAVRY_TEST_CONFIGURED"], "given");
    assert!(
        env.get("BEHAVRY_TEST_GATEWAY_SECRET").is_none(),
        "gateway env leaked: {env}"
    );
    assert!(env.get("PATH").is_some());
    conn.close().await;
}
