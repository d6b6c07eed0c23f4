//! Configuration and value types shared by every upstream transport.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

/// Protocol revision sent in `initialize` unless told otherwise.
pub const LEGACY_PROTOCOL_VERSION: &str = "2025-11-25";
/// The stateless revision probed with `server/discover`.
pub const MODERN_PROTOCOL_VERSION: &str = "2026-07-28";
/// Handshake-era revisions an upstream may answer `initialize` with.
pub const LEGACY_PROTOCOL_VERSIONS: [&str; 4] =
    ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// How to reach an upstream MCP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamTransport {
    /// A child process speaking newline-delimited JSON-RPC on stdin/stdout.
    /// The child gets `env` plus only the variables in `INHERITED_ENV`
    /// (PATH, HOME, locale, ...) from the gateway's environment.
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
        cwd: Option<PathBuf>,
    },
    /// A Streamable HTTP endpoint; `headers` are added to every HTTP request.
    Http {
        url: String,
        headers: Vec<(String, String)>,
    },
}

/// One configured upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamSpec {
    /// Name used in logs and error messages.
    pub name: String,
    pub transport: UpstreamTransport,
    /// Limit for each request after the handshake.
    pub request_timeout: Duration,
    /// Limit for starting/connecting plus the handshake.
    pub connect_timeout: Duration,
}

/// What the gateway tells the upstream about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientInit {
    /// Client capabilities object.
    pub capabilities: Value,
    /// `Implementation` object (`name`, `version`, ...).
    pub client_info: Value,
    /// Revision proposed in a legacy `initialize`.
    pub protocol_version: String,
    /// Over HTTP, probe `server/discover` (2026-07-28) before `initialize`.
    pub prefer_modern: bool,
}

impl ClientInit {
    /// Legacy version [`LEGACY_PROTOCOL_VERSION`], modern probing on.
    pub fn new(capabilities: Value, client_info: Value) -> Self {
        Self {
            capabilities,
            client_info,
            protocol_version: LEGACY_PROTOCOL_VERSION.to_owned(),
            prefer_modern: true,
        }
    }
}

/// Which protocol generation a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Era {
    /// `initialize` handshake, sessions, server->client requests (≤ 2025-11-25).
    Legacy,
    /// Stateless, `_meta` on every request, no sessions (2026-07-28).
    Modern,
}

/// A message from the upstream that is not the final response of a request.
/// Both variants hold the full JSON-RPC message as received.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    Notification(Value),
    /// A server->client request; answer it with `UpstreamConnection::respond`
    /// using its original `id`.
    Request(Value),
}
