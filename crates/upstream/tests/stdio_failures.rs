//! Stdio failure modes: spawn errors, silent servers, oversized lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use behavry_upstream::{UpstreamConnection, UpstreamError, UpstreamTransport};
use common::{client_init, spec};

fn shell(script: &str, env: Vec<(String, String)>) -> UpstreamTransport {
    UpstreamTransport::Stdio {
        command: "sh".to_owned(),
        args: vec!["-c".to_owned(), script.to_owned()],
        env,
        cwd: None,
    }
}

#[tokio::test]
async fn missing_command_is_a_spawn_error_without_secrets() {
    let transport = UpstreamTransport::Stdio {
        command: "/nonexistent/behavry-test-server".to_owned(),
        args: vec![],
        env: vec![("API_TOKEN".to_owned(), "s3cret-value".to_owned())],
        cwd: None,
    };
    let error = UpstreamConnection::connect(&spec("ghost", transport), &client_init(true))
        .await
        .unwrap_err();
    assert!(matches!(error, UpstreamError::Spawn { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with("upstream ghost: failed to start server process"),
        "{text}"
    );
    assert!(!text.contains("s3cret-value"));
}

#[tokio::test]
async fn silent_server_times_out_the_handshake() {
    let mut spec = spec(
        "silent",
        shell("sleep 30", vec![("TOKEN".into(), "hidden-env".into())]),
    );
    spec.connect_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let error = UpstreamConnection::connect(&spec, &client_init(true))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "upstream silent: handshake timed out after 300 ms"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn exiting_server_is_closed_during_handshake() {
    let error = UpstreamConnection::connect(
        &spec("quitter", shell("exit 3", vec![])),
        &client_init(true),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, UpstreamError::Closed { .. }), "{error:?}");
}

#[tokio::test]
async fn oversized_line_fails_the_connection_instead_of_buffering() {
    let script = "head -c 17000000 /dev/zero | tr '\\0' a; echo; sleep 30";
    let error =
        UpstreamConnection::connect(&spec("flood", shell(script, vec![])), &client_init(true))
            .await
            .unwrap_err();
    assert!(matches!(error, UpstreamError::Closed { .. }), "{error:?}");
}

#[tokio::test]
async fn large_lines_below_the_cap_are_fine() {
    let reply =
        r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{}}}"#;
    let script = format!(
        "read line; head -c 2000000 /dev/zero | tr '\\0' a; echo; echo '{reply}'; sleep 30"
    );
    let conn =
        UpstreamConnection::connect(&spec("chatty", shell(&script, vec![])), &client_init(true))
            .await
            .unwrap();
    assert_eq!(conn.protocol_version(), "2025-11-25");
    assert!(conn.is_alive());
}

#[tokio::test]
async fn initialize_error_is_a_protocol_error() {
    let reply = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"unsupported"}}"#;
    let script = format!("read line; echo '{reply}'; sleep 30");
    let error =
        UpstreamConnection::connect(&spec("picky", shell(&script, vec![])), &client_init(true))
            .await
            .unwrap_err();
    assert_eq!(
        error.to_string(),
        "upstream picky: protocol error: initialize rejected: code -32602: unsupported"
    );
}

#[tokio::test]
async fn unknown_protocol_version_is_rejected() {
    let reply =
        r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"1999-01-01","capabilities":{}}}"#;
    let script = format!("read line; echo '{reply}'; sleep 30");
    let error =
        UpstreamConnection::connect(&spec("old", shell(&script, vec![])), &client_init(true))
            .await
            .unwrap_err();
    assert!(
        error.to_string().contains("unsupported protocol version"),
        "{error}"
    );
}
