//! The stdio transport against the real npm server-filesystem.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use behavry_upstream::{CancellationToken, UpstreamConnection, UpstreamTransport};
use common::{client_init, server_script, spec, text_of};
use serde_json::json;

#[tokio::test]
async fn reads_a_file_in_an_allowed_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("note.txt"), "filesystem says hi").unwrap();
    let transport = UpstreamTransport::Stdio {
        command: "node".to_owned(),
        args: vec![
            server_script("server-filesystem"),
            root.to_string_lossy().into_owned(),
        ],
        env: vec![],
        cwd: Some(root.clone()),
    };
    let conn = UpstreamConnection::connect(&spec("filesystem", transport), &client_init(true))
        .await
        .unwrap();

    let allowed = conn
        .request(
            "tools/call",
            Some(json!({"name": "list_allowed_directories", "arguments": {}})),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        text_of(&allowed).contains(root.to_str().unwrap()),
        "{allowed}"
    );

    let read = conn
        .request(
            "tools/call",
            Some(json!({"name": "read_text_file", "arguments": {"path": root.join("note.txt")}})),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(text_of(&read), "filesystem says hi");

    let outside = conn
        .request(
            "tools/call",
            Some(json!({"name": "read_text_file", "arguments": {"path": "/etc/hostname"}})),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outside["isError"], true, "{outside}");
    conn.close().await;
}
