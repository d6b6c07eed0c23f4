//! The demo server over stdio, profile side: every tool of the database,
//! files and email profiles, sandbox refusal, resources and prompts.

mod common;

use common::StdioServer;
use serde_json::{json, Value};

#[tokio::test]
async fn database_tools_query_describe_and_report_sql_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = StdioServer::initialized("database", dir.path()).await;
    let tools = server.request("tools/list", json!({})).await;
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["query", "list_tables", "describe_table"]);
    for tool in tools["result"]["tools"].as_array().unwrap() {
        assert_eq!(tool["inputSchema"]["type"], "object");
        assert!(tool["description"].as_str().unwrap().len() > 10);
    }

    let tables = server.call_tool("list_tables", json!({})).await;
    assert_eq!(
        tables["structuredContent"]["tables"],
        json!(["customers", "orders", "products"])
    );

    let counts = server
        .call_tool("query", json!({"sql": "SELECT (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM orders) + (SELECT COUNT(*) FROM products) AS total"}))
        .await;
    assert!(
        counts["structuredContent"]["rows"][0]["total"]
            .as_i64()
            .unwrap()
            >= 50
    );

    let rows = server
        .call_tool(
            "query",
            json!({"sql": "SELECT id, name, price_cents FROM products WHERE id <= 2 ORDER BY id"}),
        )
        .await;
    assert_eq!(rows["isError"], false);
    let structured = &rows["structuredContent"];
    assert_eq!(structured["columns"], json!(["id", "name", "price_cents"]));
    assert_eq!(structured["row_count"], 2);
    assert_eq!(
        structured["rows"][0],
        json!({"id": 1, "name": "Mechanical Keyboard", "price_cents": 8900})
    );
    let text: Value = serde_json::from_str(rows["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        &text, structured,
        "text content carries the same rows as json"
    );

    let empty = server
        .call_tool(
            "query",
            json!({"sql": "SELECT id, email FROM customers WHERE id < 0"}),
        )
        .await;
    assert_eq!(
        empty["structuredContent"]["columns"],
        json!(["id", "email"])
    );
    assert_eq!(empty["structuredContent"]["row_count"], 0);

    let write = server
        .call_tool(
            "query",
            json!({"sql": "UPDATE products SET stock = stock - 1 WHERE category = 'audio'"}),
        )
        .await;
    assert_eq!(write["structuredContent"]["rows_affected"], 2);

    for bad_sql in [
        "SELECT * FROM no_such_table",
        "SELEC 1",
        "INSERT INTO orders (id) VALUES (1)",
        "  ",
    ] {
        let failed = server.call_tool("query", json!({"sql": bad_sql})).await;
        assert_eq!(failed["isError"], true, "{bad_sql}: {failed}");
    }

    let described = server
        .call_tool("describe_table", json!({"table": "orders"}))
        .await;
    let columns = described["structuredContent"]["columns"]
        .as_array()
        .unwrap();
    assert_eq!(
        columns[0],
        json!({"name": "id", "type": "INTEGER", "nullable": true, "primary_key": true, "default": null})
    );
    assert!(columns
        .iter()
        .any(|c| c["name"] == "status" && c["nullable"] == false));
    let missing = server
        .call_tool(
            "describe_table",
            json!({"table": "nope\"; DROP TABLE orders; --"}),
        )
        .await;
    assert_eq!(missing["isError"], true);
    server.close().await;

    // State persists across restarts and the seed is not re-applied.
    let mut again = StdioServer::initialized("database", dir.path()).await;
    let stock = again
        .call_tool(
            "query",
            json!({"sql": "SELECT stock FROM products WHERE sku = 'HD-500'"}),
        )
        .await;
    assert_eq!(stock["structuredContent"]["rows"][0]["stock"], 29);
    again.close().await;
}

#[tokio::test]
async fn files_tools_stay_inside_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "top secret").unwrap();
    let mut server = StdioServer::initialized("files", dir.path()).await;

    let listing = server.call_tool("list", json!({})).await;
    let names: Vec<&str> = listing["structuredContent"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["notes", "quarterly-report.md", "welcome.txt"]);

    let welcome = server
        .call_tool("read", json!({"path": "welcome.txt"}))
        .await;
    assert!(welcome["content"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("Welcome"));

    let written = server
        .call_tool(
            "write",
            json!({"path": "drafts/new.txt", "content": "hello"}),
        )
        .await;
    assert_eq!(written["isError"], false, "{written}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sandbox/drafts/new.txt")).unwrap(),
        "hello"
    );

    for path in [
        "../secret.txt",
        "/etc/passwd",
        "notes/../../secret.txt",
        dir.path().join("secret.txt").to_str().unwrap(),
    ] {
        let read = server.call_tool("read", json!({"path": path})).await;
        assert_eq!(read["isError"], true, "read {path}: {read}");
        assert!(
            read["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("escapes the sandbox"),
            "{read}"
        );
        let write = server
            .call_tool("write", json!({"path": path, "content": "x"}))
            .await;
        assert_eq!(write["isError"], true, "write {path}");
        let list = server.call_tool("list", json!({"path": path})).await;
        assert_eq!(list["isError"], true, "list {path}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("secret.txt")).unwrap(),
        "top secret"
    );
    let missing = server.call_tool("read", json!({"path": "nope.txt"})).await;
    assert_eq!(missing["isError"], true);
    server.close().await;
}

#[tokio::test]
async fn files_resources_and_prompts() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = StdioServer::initialized("files", dir.path()).await;
    let listed = server.request("resources/list", json!({})).await;
    let uris: Vec<&str> = listed["result"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "file:///sandbox/notes/todo.txt",
            "file:///sandbox/quarterly-report.md",
            "file:///sandbox/welcome.txt"
        ]
    );

    let read = server
        .request(
            "resources/read",
            json!({"uri": "file:///sandbox/quarterly-report.md"}),
        )
        .await;
    let contents = &read["result"]["contents"][0];
    assert_eq!(contents["mimeType"], "text/markdown");
    assert!(contents["text"]
        .as_str()
        .unwrap()
        .starts_with("# Q3 report"));
    for uri in [
        "file:///sandbox/../../etc/passwd",
        "file:///etc/passwd",
        "file:///sandbox/missing.txt",
    ] {
        let refused = server.request("resources/read", json!({"uri": uri})).await;
        assert_eq!(refused["error"]["code"], -32002, "{uri}: {refused}");
    }

    let prompts = server.request("prompts/list", json!({})).await;
    assert_eq!(prompts["result"]["prompts"][0]["name"], "summarize_file");
    let prompt = server
        .request(
            "prompts/get",
            json!({"name": "summarize_file", "arguments": {"path": "welcome.txt"}}),
        )
        .await;
    let text = prompt["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap();
    assert!(
        text.contains("welcome.txt") && text.contains("Welcome to the Behavry demo sandbox"),
        "{text}"
    );
    let escaped = server
        .request(
            "prompts/get",
            json!({"name": "summarize_file", "arguments": {"path": "../x"}}),
        )
        .await;
    assert_eq!(escaped["error"]["code"], -32602);
    let unknown = server.request("prompts/get", json!({"name": "nope"})).await;
    assert_eq!(unknown["error"]["code"], -32602);
    server.close().await;
}

#[tokio::test]
async fn email_send_appends_to_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = StdioServer::initialized("email", dir.path()).await;
    let sent = server
        .call_tool(
            "send",
            json!({"to": "ops@example.com", "subject": "Hi", "body": "Report attached."}),
        )
        .await;
    let id = sent["structuredContent"]["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("msg-"));
    let outbox = std::fs::read_to_string(dir.path().join("outbox.jsonl")).unwrap();
    let line: Value = serde_json::from_str(outbox.lines().next().unwrap()).unwrap();
    assert_eq!(line["id"], id.as_str());
    assert_eq!(line["to"], "ops@example.com");

    let refused = server
        .call_tool(
            "send",
            json!({"to": "a@example.com, b@example.com", "subject": "x", "body": "y"}),
        )
        .await;
    assert_eq!(refused["isError"], true);
    let listed = server.call_tool("list_outbox", json!({})).await;
    assert_eq!(listed["structuredContent"]["count"], 1);
    assert_eq!(listed["structuredContent"]["messages"][0]["subject"], "Hi");
    server.close().await;
}
