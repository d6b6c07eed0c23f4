//! Shared helpers: run the demo server binary as a child process over stdio
//! or Streamable HTTP. Test support code: failing fast with a panic is the point.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_behavry-demo-server");
pub const TIMEOUT: Duration = Duration::from_secs(20);

pub fn modern_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

/// The demo server on stdio.
pub struct StdioServer {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    next_id: i64,
}

impl StdioServer {
    pub async fn start(profile: &str, data_dir: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["--profile", profile, "--data-dir"])
            .arg(data_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn demo server");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            stdout,
            next_id: 0,
        }
    }

    /// Starts the server and completes the legacy handshake.
    pub async fn initialized(profile: &str, data_dir: &Path) -> Self {
        let mut server = Self::start(profile, data_dir).await;
        let init = server
            .request("initialize", json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}))
            .await;
        assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
        server
            .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        server
    }

    pub async fn send(&mut self, message: Value) {
        self.send_raw(&message.to_string()).await;
    }

    pub async fn send_raw(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
    }

    pub async fn read(&mut self) -> Value {
        let line = tokio::time::timeout(TIMEOUT, self.stdout.next_line())
            .await
            .expect("timed out waiting for the server")
            .unwrap()
            .expect("server closed stdout");
        serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("stdout line is not json ({error}): {line}"))
    }

    /// Sends a request and returns its response (notifications before it are skipped).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.request_collecting(method, params).await.1
    }

    /// Sends a request; returns (notifications seen before the response, response).
    pub async fn request_collecting(&mut self, method: &str, params: Value) -> (Vec<Value>, Value) {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        let mut notes = Vec::new();
        loop {
            let message = self.read().await;
            if message.get("id") == Some(&json!(id)) {
                return (notes, message);
            }
            notes.push(message);
        }
    }

    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        let response = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await;
        response
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("tools/call {name} failed: {response}"))
    }

    pub async fn close(mut self) {
        drop(self.stdin);
        let status = tokio::time::timeout(TIMEOUT, self.child.wait())
            .await
            .expect("server did not exit")
            .unwrap();
        assert!(status.success(), "server exited with {status}");
    }
}

/// The demo server on Streamable HTTP (bound to a free loopback port).
pub struct HttpServer {
    _child: Child,
    pub url: String,
    pub client: reqwest::Client,
}

impl HttpServer {
    pub async fn start(profile: &str, data_dir: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["--profile", profile, "--http", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn demo server");
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = tokio::time::timeout(TIMEOUT, async {
            while let Some(line) = stderr.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("behavry-demo-server listening on ") {
                    return url.to_owned();
                }
            }
            panic!("server exited before listening");
        })
        .await
        .expect("server did not start listening");
        tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
        Self {
            _child: child,
            url,
            client: reqwest::Client::new(),
        }
    }

    pub fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string())
    }

    /// Legacy handshake; returns the session id.
    pub async fn initialize(&self) -> String {
        let response = self
            .post(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let session = response.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["result"]["protocolVersion"], "2025-11-25");
        session
    }
}

/// Parses an SSE body into its `data:` JSON payloads.
pub fn sse_messages(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter_map(|event| event.lines().find_map(|line| line.strip_prefix("data: ")))
        .map(|data| serde_json::from_str(data).unwrap())
        .collect()
}
