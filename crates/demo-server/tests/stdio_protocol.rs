//! The demo server over stdio, protocol side: handshake, JSON-RPC errors,
//! progress notifications and the modern (2026-07-28) era.

mod common;

use common::{modern_meta, StdioServer};
use serde_json::{json, Value};

#[tokio::test]
async fn handshake_negotiates_versions_and_announces_capabilities() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = StdioServer::start("files", dir.path()).await;
    let init = server
        .request("initialize", json!({"protocolVersion": "1999-01-01", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}))
        .await;
    let result = &init["result"];
    assert_eq!(
        result["protocolVersion"], "2025-11-25",
        "unknown versions get the newest legacy one"
    );
    assert_eq!(result["serverInfo"]["name"], "behavry-demo-files");
    for capability in ["tools", "resources", "prompts"] {
        assert!(
            result["capabilities"].get(capability).is_some(),
            "{capability} missing: {result}"
        );
    }
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    assert_eq!(server.request("ping", json!({})).await["result"], json!({}));
    server.close().await;
}

#[tokio::test]
async fn protocol_errors_use_json_rpc_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = StdioServer::initialized("email", dir.path()).await;
    let cases = [
        ("no/such/method", json!({}), -32601),
        ("resources/list", json!({}), -32601),
        (
            "tools/call",
            json!({"name": "nope", "arguments": {}}),
            -32602,
        ),
        (
            "tools/call",
            json!({"name": "send", "arguments": {"to": "a@example.com"}}),
            -32602,
        ),
        (
            "tools/call",
            json!({"name": "send", "arguments": "not an object"}),
            -32602,
        ),
        ("tools/list", json!([1, 2]), -32602),
    ];
    for (method, params, code) in cases {
        let response = server.request(method, params.clone()).await;
        assert_eq!(
            response["error"]["code"], code,
            "{method} {params}: {response}"
        );
    }
    server.send_raw("{not json").await;
    let parse_error = server.read().await;
    assert_eq!(parse_error["error"]["code"], -32700);
    assert_eq!(parse_error["id"], Value::Null);
    server.close().await;
}

#[tokio::test]
async fn query_emits_progress_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = StdioServer::initialized("database", dir.path()).await;
    let params = json!({"name": "query", "arguments": {"sql": "SELECT 1 AS one"}, "_meta": {"progressToken": "p-1"}});
    let (notes, response) = server.request_collecting("tools/call", params).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["method"], "notifications/progress");
    assert_eq!(notes[0]["params"]["progressToken"], "p-1");
    assert_eq!(
        response["result"]["structuredContent"]["rows"],
        json!([{"one": 1}])
    );
    let (quiet, _) = server
        .request_collecting(
            "tools/call",
            json!({"name": "query", "arguments": {"sql": "SELECT 1"}}),
        )
        .await;
    assert!(quiet.is_empty(), "no progress without a token");
    server.close().await;
}

#[tokio::test]
async fn modern_era_over_stdio_needs_no_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = StdioServer::start("database", dir.path()).await;
    let discover = server
        .request("server/discover", json!({"_meta": modern_meta()}))
        .await;
    let result = &discover["result"];
    assert_eq!(result["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["cacheScope"], "private");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "behavry-demo-database"
    );

    let listed = server
        .request("tools/list", json!({"_meta": modern_meta()}))
        .await;
    assert_eq!(listed["result"]["resultType"], "complete");
    assert_eq!(listed["result"]["ttlMs"], 0);
    let called = server
        .request(
            "tools/call",
            json!({"name": "list_tables", "_meta": modern_meta()}),
        )
        .await;
    assert_eq!(called["result"]["resultType"], "complete");

    let mut wrong_version = modern_meta();
    wrong_version["io.modelcontextprotocol/protocolVersion"] = json!("2030-01-01");
    let unsupported = server
        .request("tools/list", json!({"_meta": wrong_version}))
        .await;
    assert_eq!(unsupported["error"]["code"], -32022);
    assert_eq!(
        unsupported["error"]["data"]["supported"],
        json!(["2026-07-28"])
    );
    let no_envelope = server.request("server/discover", json!({})).await;
    assert_eq!(no_envelope["error"]["code"], -32602);
    server.close().await;
}
