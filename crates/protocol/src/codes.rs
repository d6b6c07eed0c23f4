//! JSON-RPC error codes: the JSON-RPC 2.0 standard codes, the MCP 2026-07-28
//! transport codes, and Behavry's own codes.
//!
//! Behavry's codes sit in the implementation-defined band -32000..=-32019 and
//! avoid -32000 and -32001 (used by the MCP SDKs for "connection closed" and
//! "request timeout") and -32002 (retired by the specification).

/// Invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The message is not a valid JSON-RPC request object.
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist or is not available.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// Internal error on the receiver.
pub const INTERNAL_ERROR: i64 = -32603;
/// HTTP headers missing, malformed or not matching the body (MCP 2026-07-28).
pub const HEADER_MISMATCH: i64 = -32020;
/// The request needs a client capability the client did not declare (MCP 2026-07-28).
pub const MISSING_CAPABILITY: i64 = -32021;
/// The request's protocol version is not supported (MCP 2026-07-28).
pub const UNSUPPORTED_VERSION: i64 = -32022;

/// Behavry: the call was denied by policy.
pub const POLICY_DENIED: i64 = -32010;
/// Behavry: a human approver rejected the held call.
pub const APPROVAL_REJECTED: i64 = -32011;
/// Behavry: no approval decision arrived in time; the call was not run.
pub const APPROVAL_TIMEOUT: i64 = -32012;
/// Behavry: the upstream MCP server could not be reached or failed.
pub const UPSTREAM_UNAVAILABLE: i64 = -32013;
/// Behavry: missing or invalid agent credentials.
pub const UNAUTHORIZED: i64 = -32014;
/// A call held for approval was interrupted because the gateway is
/// shutting down. Retryable: the identical call, sent again, waits on the
/// same approval or receives its outcome (`data.approval_id` names it).
pub const APPROVAL_INTERRUPTED: i64 = -32015;

/// The HTTP status the MCP SDKs send with a JSON-RPC error of `code` on the
/// 2026-07-28 transport; `None` means "no mapping, use 200".
///
/// `UNAUTHORIZED` maps to 401 so clients start their authorization flow.
pub fn http_status_for_code(code: i64) -> Option<u16> {
    match code {
        PARSE_ERROR | INVALID_REQUEST | INVALID_PARAMS | HEADER_MISMATCH | MISSING_CAPABILITY
        | UNSUPPORTED_VERSION => Some(400),
        METHOD_NOT_FOUND => Some(404),
        UNAUTHORIZED => Some(401),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behavry_codes_are_distinct_and_in_the_implementation_band() {
        let ours = [
            POLICY_DENIED,
            APPROVAL_REJECTED,
            APPROVAL_TIMEOUT,
            UPSTREAM_UNAVAILABLE,
            UNAUTHORIZED,
            APPROVAL_INTERRUPTED,
        ];
        for (i, code) in ours.iter().enumerate() {
            assert!((-32019..=-32003).contains(code), "{code}");
            assert!(!ours[i + 1..].contains(code));
        }
    }

    #[test]
    fn status_table() {
        for (code, status) in [
            (PARSE_ERROR, Some(400)),
            (INVALID_REQUEST, Some(400)),
            (INVALID_PARAMS, Some(400)),
            (HEADER_MISMATCH, Some(400)),
            (MISSING_CAPABILITY, Some(400)),
            (UNSUPPORTED_VERSION, Some(400)),
            (METHOD_NOT_FOUND, Some(404)),
            (UNAUTHORIZED, Some(401)),
            (INTERNAL_ERROR, None),
            (POLICY_DENIED, None),
        ] {
            assert_eq!(http_status_for_code(code), status, "{code}");
        }
    }
}
