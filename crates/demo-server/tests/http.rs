//! The demo server over Streamable HTTP: legacy sessions, SSE progress,
//! the stateless modern era and request hygiene (origin, accept, headers).

mod common;

use common::{modern_meta, sse_messages, HttpServer};
use serde_json::{json, Value};

#[tokio::test]
async fn legacy_session_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let server = HttpServer::start("email", dir.path()).await;
    let session = server.initialize().await;

    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let accepted = server
        .post(&note)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);

    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let listed = server
        .post(&list)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    assert_eq!(listed.headers()["content-type"], "application/json");
    let body: Value = listed.json().await.unwrap();
    assert_eq!(body["result"]["tools"][0]["name"], "send");

    let missing = server.post(&list).send().await.unwrap();
    assert_eq!(
        missing.status(),
        400,
        "a request without a session is refused"
    );
    let unknown = server
        .post(&list)
        .header("mcp-session-id", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let get = server
        .client
        .get(&server.url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);

    let deleted = server
        .client
        .delete(&server.url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let after = server
        .post(&list)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 404, "a deleted session is gone");
}

#[tokio::test]
async fn legacy_tool_errors_are_answered_with_200() {
    let dir = tempfile::tempdir().unwrap();
    let server = HttpServer::start("files", dir.path()).await;
    let session = server.initialize().await;
    let call = |id: i64, name: &str, arguments: Value| json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}});
    let escape = server
        .post(&call(1, "read", json!({"path": "../outside"})))
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(escape.status(), 200);
    let body: Value = escape.json().await.unwrap();
    assert_eq!(body["result"]["isError"], true);
    let unknown = server
        .post(&call(2, "nope", json!({})))
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 200);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32602);
}

#[tokio::test]
async fn progress_is_streamed_as_sse_before_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let server = HttpServer::start("database", dir.path()).await;
    let session = server.initialize().await;
    let call = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "query", "arguments": {"sql": "SELECT name FROM customers WHERE id = 1"}, "_meta": {"progressToken": 42}}});
    let response = server
        .post(&call)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let messages = sse_messages(&response.text().await.unwrap());
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0]["method"], "notifications/progress");
    assert_eq!(messages[0]["params"]["progressToken"], 42);
    assert_eq!(messages[1]["id"], 5);
    assert_eq!(
        messages[1]["result"]["structuredContent"]["rows"],
        json!([{"name": "Ada Lovelace"}])
    );
}

fn modern_request(id: i64, method: &str, mut params: Value) -> Value {
    params["_meta"] = modern_meta();
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn with_modern_headers(
    builder: reqwest::RequestBuilder,
    method: &str,
    name: Option<&str>,
) -> reqwest::RequestBuilder {
    let builder = builder
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    match name {
        Some(name) => builder.header("mcp-name", name),
        None => builder,
    }
}

#[tokio::test]
async fn modern_requests_are_stateless_and_marked_complete() {
    let dir = tempfile::tempdir().unwrap();
    let server = HttpServer::start("database", dir.path()).await;
    let discover = modern_request(1, "server/discover", json!({}));
    let response = with_modern_headers(server.post(&discover), "server/discover", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("mcp-session-id").is_none(),
        "no sessions in the modern era"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(body["result"]["resultType"], "complete");

    let call = modern_request(
        2,
        "tools/call",
        json!({"name": "query", "arguments": {"sql": "SELECT COUNT(*) AS n FROM orders"}}),
    );
    let response = with_modern_headers(server.post(&call), "tools/call", Some("query"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["resultType"], "complete");
    assert_eq!(
        body["result"]["structuredContent"]["rows"],
        json!([{"n": 25}])
    );

    let note = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 2, "_meta": modern_meta()}});
    let response = with_modern_headers(server.post(&note), "notifications/cancelled", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn modern_envelope_and_header_errors_map_to_http_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let server = HttpServer::start("database", dir.path()).await;
    let call = modern_request(
        1,
        "tools/call",
        json!({"name": "query", "arguments": {"sql": "SELECT 1"}}),
    );

    let spoofed_name = with_modern_headers(server.post(&call), "tools/call", Some("list_tables"))
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed_name.status(), 400);
    assert_eq!(
        spoofed_name.json::<Value>().await.unwrap()["error"]["code"],
        -32020
    );

    let no_headers = server.post(&call).send().await.unwrap();
    assert_eq!(no_headers.status(), 400);
    assert_eq!(
        no_headers.json::<Value>().await.unwrap()["error"]["code"],
        -32020
    );

    let mut future = call.clone();
    future["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2030-01-01");
    let unsupported = server
        .post(&future)
        .header("mcp-protocol-version", "2030-01-01")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "query")
        .send()
        .await
        .unwrap();
    assert_eq!(unsupported.status(), 400);
    assert_eq!(
        unsupported.json::<Value>().await.unwrap()["error"]["code"],
        -32022
    );

    let unknown_method = modern_request(2, "no/such", json!({}));
    let response = with_modern_headers(server.post(&unknown_method), "no/such", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        -32601
    );
}

#[tokio::test]
async fn request_hygiene() {
    let dir = tempfile::tempdir().unwrap();
    let server = HttpServer::start("email", dir.path()).await;
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});

    let foreign = server
        .post(&init)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let local = server
        .post(&init)
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(local.status(), 200);

    let raw = |content_type: &str, accept: &str, body: String| {
        server
            .client
            .post(&server.url)
            .header("content-type", content_type)
            .header("accept", accept)
            .body(body)
    };
    let both = "application/json, text/event-stream";
    let json_only = raw("application/json", "application/json", init.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(json_only.status(), 406);
    let wildcard = raw("application/json", "*/*", init.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(wildcard.status(), 200);
    let wrong_type = raw("text/plain", both, init.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);

    let garbage = raw("application/json", both, "{oops".to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    assert_eq!(
        garbage.json::<Value>().await.unwrap()["error"]["code"],
        -32700
    );
}
