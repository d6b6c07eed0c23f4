//! A minimal legacy-era MCP client over Streamable HTTP: enough to open a
//! session and call a tool, reading either a JSON or an SSE answer.

use anyhow::{anyhow, bail};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Session {
    http: reqwest::Client,
    url: String,
    credential: Option<String>,
    session_id: String,
    next_id: AtomicU64,
}

pub fn tools_call(name: &str) -> Value {
    json!({"name": name, "arguments": {}})
}

impl Session {
    pub async fn open(
        http: &reqwest::Client,
        url: &str,
        credential: Option<&str>,
    ) -> anyhow::Result<Self> {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "behavry-loadgen", "version": "1"}}});
        let response = request(http, url, credential, None)
            .json(&init)
            .send()
            .await?;
        let session_id = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| anyhow!("{url} returned no session id (HTTP {})", response.status()))?
            .to_string();
        let body = response.text().await?;
        last_message(&body)?;
        let session = Session {
            http: http.clone(),
            url: url.to_string(),
            credential: credential.map(str::to_string),
            session_id,
            next_id: AtomicU64::new(1),
        };
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        request(
            &session.http,
            &session.url,
            session.credential.as_deref(),
            Some(&session.session_id),
        )
        .json(&initialized)
        .send()
        .await?;
        Ok(session)
    }

    /// Call a tool; fails on a JSON-RPC error or a tool error.
    pub async fn call(&self, params: &Value) -> anyhow::Result<()> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
        let response = request(
            &self.http,
            &self.url,
            self.credential.as_deref(),
            Some(&self.session_id),
        )
        .json(&body)
        .send()
        .await?;
        let text = response.text().await?;
        let message = last_message(&text)?;
        if message.get("error").is_some()
            || message.pointer("/result/isError").and_then(Value::as_bool) == Some(true)
        {
            bail!("call failed: {message}");
        }
        Ok(())
    }
}

fn request(
    http: &reqwest::Client,
    url: &str,
    credential: Option<&str>,
    session: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut builder = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2025-11-25");
    if let Some(c) = credential {
        builder = builder.bearer_auth(c);
    }
    if let Some(s) = session {
        builder = builder.header("mcp-session-id", s);
    }
    builder
}

/// The last JSON-RPC message of a JSON body or an SSE stream.
fn last_message(body: &str) -> anyhow::Result<Value> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') {
        return Ok(serde_json::from_str(trimmed)?);
    }
    body.lines()
        .rev()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .find(|data| !data.is_empty())
        .ok_or_else(|| anyhow!("empty response"))
        .and_then(|data| Ok(serde_json::from_str(data)?))
}
