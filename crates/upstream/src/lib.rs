//! MCP client side of the gateway: connections to configured upstream MCP
//! servers over stdio or Streamable HTTP (legacy ≤ 2025-11-25 and modern
//! 2026-07-28).
//!
//! Messages are handled as `serde_json::Value`: the gateway forwards what it
//! does not need to understand untouched, so results (including `resultType`
//! and `input_required`) come back exactly as the upstream sent them.

mod connection;
mod error;
mod handshake;
mod http;
mod message;
mod router;
mod spec;
mod sse;
mod stdio;
mod transport;

pub use connection::{UpstreamConnection, BROADCAST_CAPACITY};
pub use error::UpstreamError;
pub use http::MAX_MESSAGE_BYTES;
pub use spec::{
    ClientInit, Era, ServerMessage, UpstreamSpec, UpstreamTransport, LEGACY_PROTOCOL_VERSION,
    LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSION,
};
pub use stdio::{INHERITED_ENV, MAX_LINE_BYTES};
pub use tokio_util::sync::CancellationToken;
