//! The 2026-07-28 Streamable HTTP transport against a Python SDK server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use behavry_upstream::{
    CancellationToken, Era, UpstreamConnection, UpstreamError, UpstreamTransport,
};
use common::{client_init, spec, start_python_server, text_of};
use serde_json::json;

fn http(url: &str) -> UpstreamTransport {
    UpstreamTransport::Http {
        url: url.to_owned(),
        headers: vec![],
    }
}

#[tokio::test]
async fn modern_server_is_detected_and_called_statelessly() {
    let server = start_python_server();
    let conn = UpstreamConnection::connect(&spec("py", http(&server.url)), &client_init(true))
        .await
        .unwrap();
    assert_eq!(conn.era(), Era::Modern);
    assert_eq!(conn.protocol_version(), "2026-07-28");
    assert_eq!(conn.session_id(), None);
    assert!(conn.server_info()["supportedVersions"]
        .as_array()
        .unwrap()
        .contains(&json!("2026-07-28")));

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
    assert_eq!(tools["resultType"], "complete");

    // Mcp-Name must match params.name or the server rejects the call.
    let echoed = conn
        .request(
            "tools/call",
            Some(json!({"name": "echo", "arguments": {"text": "modern hello"}})),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(text_of(&echoed), "modern hello");
    assert_eq!(
        echoed["resultType"], "complete",
        "result passed back untouched"
    );

    let unknown = conn
        .request(
            "tools/call",
            Some(json!({"name": "missing-tool", "arguments": {}})),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap();
    match unknown {
        Ok(result) => assert_eq!(result["isError"], true, "{result}"),
        Err(error) => assert!(error["code"].is_i64(), "{error}"),
    }

    let notify = conn.notify("notifications/roots/list_changed", None).await;
    assert!(
        matches!(notify, Err(UpstreamError::Protocol { .. })),
        "{notify:?}"
    );
    conn.close().await;
}

#[tokio::test]
async fn same_server_can_be_used_legacy_when_modern_is_not_preferred() {
    let server = start_python_server();
    let conn = UpstreamConnection::connect(&spec("py", http(&server.url)), &client_init(false))
        .await
        .unwrap();
    assert_eq!(conn.era(), Era::Legacy);
    assert_eq!(conn.protocol_version(), "2025-11-25");
    let echoed = conn
        .request(
            "tools/call",
            Some(json!({"name": "echo", "arguments": {"text": "legacy hello"}})),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(text_of(&echoed), "legacy hello");
    conn.close().await;
}
