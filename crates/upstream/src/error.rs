//! Errors of upstream connections.
//!
//! Invariant: messages name the upstream and the failing operation, never a
//! configured header value, environment value or full URL (they may carry
//! secrets).

use std::time::Duration;

/// Why talking to an upstream MCP server failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum UpstreamError {
    /// The stdio server process could not be started.
    #[error("upstream {upstream}: failed to start server process: {reason}")]
    Spawn { upstream: String, reason: String },
    /// The connection is gone (process exited, stream ended, or closed locally).
    #[error("upstream {upstream}: connection closed")]
    Closed { upstream: String },
    /// The handshake or a request did not finish in time.
    #[error("upstream {upstream}: {operation} timed out after {} ms", .after.as_millis())]
    Timeout {
        upstream: String,
        operation: String,
        after: Duration,
    },
    /// The HTTP server answered with a status that carries no usable JSON-RPC message.
    #[error("upstream {upstream}: http status {status}")]
    Http { upstream: String, status: u16 },
    /// The HTTP server could not be reached or the exchange broke off.
    #[error("upstream {upstream}: cannot reach server: {reason}")]
    Unreachable { upstream: String, reason: String },
    /// The server sent something that violates the protocol.
    #[error("upstream {upstream}: protocol error: {detail}")]
    Protocol { upstream: String, detail: String },
    /// The HTTP session is unknown to the server (expired or deleted).
    #[error("upstream {upstream}: session expired")]
    SessionExpired { upstream: String },
    /// The caller cancelled the request.
    #[error("upstream {upstream}: request cancelled")]
    Cancelled { upstream: String },
}

impl UpstreamError {
    pub(crate) fn protocol(upstream: &str, detail: impl Into<String>) -> Self {
        Self::Protocol {
            upstream: upstream.to_owned(),
            detail: detail.into(),
        }
    }

    pub(crate) fn closed(upstream: &str) -> Self {
        Self::Closed {
            upstream: upstream.to_owned(),
        }
    }
}
