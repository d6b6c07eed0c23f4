//! behavry-protocol: pure (no I/O) JSON-RPC 2.0 and MCP wire handling shared
//! by the gateway and the upstream client.
//!
//! - [`jsonrpc`]: strict message parsing and response builders;
//! - [`codes`]: JSON-RPC, MCP and Behavry error codes;
//! - [`version`]: protocol revisions, eras and reserved `_meta` keys;
//! - [`target`]: the call target of `tools/call`, `prompts/get`, `resources/read`;
//! - [`headers`], [`modern`], [`param_headers`]: 2026-07-28 HTTP headers,
//!   era detection and header/body validation;
//! - [`naming`]: the aggregated `<upstream>.<name>` / `<upstream>+<uri>` scheme;
//! - [`sse`]: incremental Server-Sent Events parsing and encoding.
//!
//! The wire facts these follow are described in `docs/mcp-eras.md`.

pub mod codes;
pub mod headers;
pub mod jsonrpc;
pub mod modern;
pub mod naming;
pub mod param_headers;
pub mod sse;
mod strict_json;
pub mod target;
pub mod version;

pub use codes::*;
pub use headers::{
    decode_header_value, encode_header_value, modern_request_headers, LAST_EVENT_ID, MCP_METHOD,
    MCP_NAME, MCP_PROTOCOL_VERSION, MCP_SESSION_ID,
};
pub use jsonrpc::{
    error_response, message_from_value, parse_message, success, EnvelopeError, Message, RequestId,
};
pub use modern::{is_modern_request, validate_modern_request, ModernRequest, ProtocolError};
pub use naming::{
    qualify_name, qualify_uri, split_qualified, split_qualified_uri, validate_upstream_name,
    NamingError,
};
pub use param_headers::{
    invalid_param_header_reason, param_headers_for_call, validate_param_headers,
};
pub use sse::{encode_sse_event, SseError, SseEvent, SseParser};
pub use target::{call_target, name_key, CallTarget, TargetError};
pub use version::{
    negotiate_legacy, Era, LATEST_LEGACY, LATEST_MODERN, LEGACY_VERSIONS, META_CLIENT_CAPABILITIES,
    META_CLIENT_INFO, META_PROTOCOL_VERSION, MODERN_VERSIONS,
};
