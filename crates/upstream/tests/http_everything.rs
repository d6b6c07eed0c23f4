//! The legacy Streamable HTTP transport against the real npm
//! server-everything bound to a loopback port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use behavry_upstream::{
    CancellationToken, Era, ServerMessage, UpstreamConnection, UpstreamError, UpstreamTransport,
};
use common::{client_init, spec, start_everything_http, text_of, ServerProcess};
use serde_json::json;
use tokio::sync::mpsc;

fn http(server: &ServerProcess) -> UpstreamTransport {
    UpstreamTransport::Http {
        url: server.url.clone(),
        headers: vec![(
            "x-upstream-auth".to_owned(),
            "Bearer not-for-logs".to_owned(),
        )],
    }
}

/// POSTs `tools/list` with a raw client under `session`; returns the status.
async fn raw_list_status(server: &ServerProcess, session: &str) -> u16 {
    reqwest::Client::new()
        .post(&server.url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-11-25")
        .body(r#"{"jsonrpc":"2.0","id":99,"method":"tools/list"}"#)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn discover_falls_back_to_legacy_session_and_tools_work() {
    let server = start_everything_http();
    let conn =
        UpstreamConnection::connect(&spec("everything-http", http(&server)), &client_init(true))
            .await
            .unwrap();
    assert_eq!(conn.era(), Era::Legacy);
    assert_eq!(conn.protocol_version(), "2025-11-25");
    assert_eq!(
        conn.server_info()["serverInfo"]["name"],
        "mcp-servers/everything"
    );
    let session = conn.session_id().expect("session id");
    assert_eq!(
        raw_list_status(&server, &session).await,
        200,
        "session is live"
    );

    let tools = conn
        .request("tools/list", None, None, CancellationToken::new())
        .await
        .unwrap()
        .unwrap();
    assert!(tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "echo"));
    let echoed = conn
        .request(
            "tools/call",
            Some(json!({"name": "echo", "arguments": {"message": "over http"}})),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(text_of(&echoed).contains("over http"), "{echoed}");

    conn.close().await;
    assert!(!conn.is_alive());
    assert_eq!(
        raw_list_status(&server, &session).await,
        400,
        "session was deleted on close"
    );
}

#[tokio::test]
async fn progress_on_the_post_stream_reaches_interim() {
    let server = start_everything_http();
    let conn =
        UpstreamConnection::connect(&spec("everything-http", http(&server)), &client_init(false))
            .await
            .unwrap();
    let (tx, mut rx) = mpsc::channel(16);
    let result = conn
        .request(
            "tools/call",
            Some(json!({
                "name": "trigger-long-running-operation",
                "arguments": {"duration": 1, "steps": 2},
                "_meta": {"progressToken": 42}
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
    let mut seen = 0;
    while let Ok(ServerMessage::Notification(note)) = rx.try_recv() {
        assert_eq!(note["method"], "notifications/progress");
        assert_eq!(note["params"]["progressToken"], 42);
        seen += 1;
    }
    assert_eq!(seen, 2);
    conn.close().await;
}

#[tokio::test]
async fn cancelled_http_request_returns_and_connection_stays_usable() {
    let server = start_everything_http();
    let conn =
        UpstreamConnection::connect(&spec("everything-http", http(&server)), &client_init(false))
            .await
            .unwrap();
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
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
    let tools = conn
        .request("tools/list", None, None, CancellationToken::new())
        .await
        .unwrap();
    assert!(tools.is_ok());
    conn.close().await;
}

#[tokio::test]
async fn server_initiated_messages_arrive_on_the_broadcast() {
    let server = start_everything_http();
    let conn =
        UpstreamConnection::connect(&spec("everything-http", http(&server)), &client_init(false))
            .await
            .unwrap();
    let mut broadcast = conn.subscribe();
    // Give the GET stream a moment to open, then ask for periodic log messages.
    tokio::time::sleep(Duration::from_millis(300)).await;
    conn.request(
        "tools/call",
        Some(json!({"name": "toggle-simulated-logging", "arguments": {}})),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap()
    .unwrap();
    let note = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Ok(ServerMessage::Notification(note)) = broadcast.recv().await {
                if note["method"] == "notifications/message" {
                    return note;
                }
            }
        }
    })
    .await
    .expect("a log notification on the get stream");
    assert!(note["params"]["level"].is_string(), "{note}");
    conn.close().await;
}

#[tokio::test]
async fn deleted_session_is_reported_as_expired() {
    let server = start_everything_http();
    let conn =
        UpstreamConnection::connect(&spec("everything-http", http(&server)), &client_init(false))
            .await
            .unwrap();
    let session = conn.session_id().unwrap();
    let deleted = reqwest::Client::new()
        .delete(&server.url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success());
    let outcome = conn
        .request("tools/list", None, None, CancellationToken::new())
        .await;
    let error = outcome.unwrap_err();
    assert!(
        matches!(error, UpstreamError::SessionExpired { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "upstream everything-http: session expired"
    );
    assert!(!conn.is_alive());
}

#[tokio::test]
async fn unreachable_server_fails_without_leaking_headers() {
    let port = common::free_port();
    let transport = UpstreamTransport::Http {
        url: format!("http://127.0.0.1:{port}/mcp?token=secret-in-url"),
        headers: vec![("authorization".to_owned(), "Bearer top-secret".to_owned())],
    };
    let error = UpstreamConnection::connect(&spec("nobody", transport), &client_init(true))
        .await
        .unwrap_err();
    assert!(
        matches!(error, UpstreamError::Unreachable { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("upstream nobody: cannot reach server"),
        "{text}"
    );
    assert!(
        !text.contains("top-secret") && !text.contains("secret-in-url"),
        "{text}"
    );
}

#[tokio::test]
async fn invalid_header_value_is_rejected_without_echoing_it() {
    let transport = UpstreamTransport::Http {
        url: "http://127.0.0.1:1/mcp".to_owned(),
        headers: vec![("authorization".to_owned(), "Bearer bad\nvalue".to_owned())],
    };
    let error = UpstreamConnection::connect(&spec("badheader", transport), &client_init(true))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "upstream badheader: protocol error: invalid value for configured header authorization"
    );
}
