//! The stdio transport against the real npm server-everything.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use behavry_upstream::{CancellationToken, Era, ServerMessage, UpstreamConnection, UpstreamError};
use common::{client_init, everything_stdio, spec, text_of};
use serde_json::json;
use tokio::sync::mpsc;

async fn connect() -> UpstreamConnection {
    UpstreamConnection::connect(&spec("everything", everything_stdio()), &client_init(true))
        .await
        .expect("connect")
}

fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[tokio::test]
async fn handshake_lists_tools_and_calls_echo() {
    let conn = connect().await;
    assert_eq!(conn.era(), Era::Legacy);
    assert_eq!(conn.protocol_version(), "2025-11-25");
    assert_eq!(
        conn.server_info()["serverInfo"]["name"],
        "mcp-servers/everything"
    );

    let tools = conn
        .request("tools/list", None, None, CancellationToken::new())
        .await
        .unwrap()
        .unwrap();
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"echo"), "{names:?}");

    let echoed = conn
        .request(
            "tools/call",
            Some(json!({"name": "echo", "arguments": {"message": "hello upstream"}})),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(text_of(&echoed).contains("hello upstream"), "{echoed}");
    conn.close().await;
}

#[tokio::test]
async fn json_rpc_errors_come_back_as_error_objects() {
    let conn = connect().await;
    let outcome = conn
        .request("no/such/method", None, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome.unwrap_err()["code"], -32601);
    conn.close().await;
}

#[tokio::test]
async fn progress_notifications_reach_the_interim_channel() {
    let conn = connect().await;
    let mut broadcast = conn.subscribe();
    let (tx, mut rx) = mpsc::channel(16);
    let result = conn
        .request(
            "tools/call",
            Some(json!({
                "name": "trigger-long-running-operation",
                "arguments": {"duration": 1, "steps": 3},
                "_meta": {"progressToken": "tok-1"}
            })),
            Some(tx),
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        text_of(&result).to_lowercase().contains("complete"),
        "{result}"
    );
    let mut progress = Vec::new();
    while let Ok(message) = rx.try_recv() {
        progress.push(message);
    }
    assert_eq!(progress.len(), 3, "{progress:?}");
    for message in &progress {
        let ServerMessage::Notification(note) = message else {
            panic!("unexpected {message:?}")
        };
        assert_eq!(note["method"], "notifications/progress");
        assert_eq!(note["params"]["progressToken"], "tok-1");
    }
    // Nothing about this request leaked into the broadcast.
    while let Ok(message) = broadcast.try_recv() {
        if let ServerMessage::Notification(note) = &message {
            assert_ne!(note["method"], "notifications/progress", "{note}");
        }
    }
    conn.close().await;
}

#[tokio::test]
async fn cancellation_returns_promptly_and_leaves_the_connection_usable() {
    let conn = connect().await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let outcome = conn
        .request(
            "tools/call",
            Some(json!({"name": "trigger-long-running-operation", "arguments": {"duration": 20, "steps": 2}})),
            None,
            cancel,
        )
        .await;
    assert!(
        matches!(outcome, Err(UpstreamError::Cancelled { .. })),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // A dropped request future is abandoned too.
    let dropped = tokio::time::timeout(
        Duration::from_millis(200),
        conn.request(
            "tools/call",
            Some(json!({"name": "trigger-long-running-operation", "arguments": {"duration": 20, "steps": 2}})),
            None,
            CancellationToken::new(),
        ),
    )
    .await;
    assert!(dropped.is_err());

    let echoed = conn
        .request(
            "tools/call",
            Some(json!({"name": "echo", "arguments": {"message": "still here"}})),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(text_of(&echoed).contains("still here"));
    assert!(conn.is_alive());
    conn.close().await;
}

#[tokio::test]
async fn request_timeout_names_the_upstream_and_method() {
    let mut spec = spec("slow-everything", everything_stdio());
    spec.request_timeout = Duration::from_millis(400);
    let conn = UpstreamConnection::connect(&spec, &client_init(true))
        .await
        .unwrap();
    let outcome = conn
        .request(
            "tools/call",
            Some(json!({"name": "trigger-long-running-operation", "arguments": {"duration": 10, "steps": 2}})),
            None,
            CancellationToken::new(),
        )
        .await;
    let error = outcome.unwrap_err();
    assert!(matches!(error, UpstreamError::Timeout { .. }));
    assert_eq!(
        error.to_string(),
        "upstream slow-everything: tools/call timed out after 400 ms"
    );
    conn.close().await;
}

#[tokio::test]
async fn killed_child_fails_waiters_with_closed() {
    let conn = connect().await;
    let pid = conn.process_id().expect("pid");
    let pending = tokio::spawn({
        let conn = conn.clone();
        async move {
            conn.request(
                "tools/call",
                Some(json!({"name": "trigger-long-running-operation", "arguments": {"duration": 20, "steps": 2}})),
                None,
                CancellationToken::new(),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = std::process::Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let outcome = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(outcome, Err(UpstreamError::Closed { .. })),
        "{outcome:?}"
    );
    assert!(!conn.is_alive());
    let after = conn
        .request("tools/list", None, None, CancellationToken::new())
        .await;
    assert!(
        matches!(after, Err(UpstreamError::Closed { .. })),
        "{after:?}"
    );
}

#[tokio::test]
async fn close_ends_the_process() {
    let conn = connect().await;
    let pid = conn.process_id().expect("pid");
    assert!(process_exists(pid));
    conn.close().await;
    assert!(!conn.is_alive());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!process_exists(pid), "server process {pid} still running");
}

#[tokio::test]
async fn dropping_the_last_handle_kills_the_process() {
    let conn = connect().await;
    let pid = conn.process_id().expect("pid");
    drop(conn);
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_exists(pid) {
        assert!(
            Instant::now() < deadline,
            "server process {pid} survived its connection"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
