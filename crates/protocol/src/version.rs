//! MCP protocol revisions, the two eras, and the reserved `_meta` keys of the
//! 2026-07-28 per-request envelope.

/// Revisions negotiated with the `initialize` handshake, oldest to newest.
pub const LEGACY_VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// Revisions using the stateless per-request envelope, oldest to newest.
pub const MODERN_VERSIONS: &[&str] = &["2026-07-28"];
/// Newest legacy revision: the `initialize` offer and counter-offer.
pub const LATEST_LEGACY: &str = "2025-11-25";
/// Newest modern revision: the `server/discover` probe version.
pub const LATEST_MODERN: &str = "2026-07-28";
/// Version assumed for a legacy HTTP request without `MCP-Protocol-Version`.
pub const DEFAULT_LEGACY_HTTP_VERSION: &str = "2025-03-26";

/// `_meta` key carrying the request's protocol version (modern era).
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// `_meta` key carrying the client's capabilities (modern era).
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key carrying the client implementation info (modern era, optional).
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
/// Result `_meta` key carrying the server implementation info (display only).
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
/// `_meta` key tagging notifications of a `subscriptions/listen` stream.
pub const META_SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

/// The two protocol eras.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Era {
    /// `initialize` handshake and sessions (≤ 2025-11-25).
    Legacy,
    /// Stateless per-request envelope (2026-07-28).
    Modern,
}

impl Era {
    /// The era of a known revision, `None` for an unknown one.
    pub fn of_version(version: &str) -> Option<Era> {
        if LEGACY_VERSIONS.contains(&version) {
            Some(Era::Legacy)
        } else if MODERN_VERSIONS.contains(&version) {
            Some(Era::Modern)
        } else {
            None
        }
    }
}

/// The version a legacy server answers to `initialize`: the requested one if
/// it is a supported legacy revision, else [`LATEST_LEGACY`].
pub fn negotiate_legacy(requested: &str) -> &'static str {
    LEGACY_VERSIONS
        .iter()
        .find(|v| **v == requested)
        .copied()
        .unwrap_or(LATEST_LEGACY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_table() {
        for (requested, answered) in [
            ("2024-11-05", "2024-11-05"),
            ("2025-03-26", "2025-03-26"),
            ("2025-06-18", "2025-06-18"),
            ("2025-11-25", "2025-11-25"),
            ("2026-07-28", "2025-11-25"),
            ("2024-10-07", "2025-11-25"),
            ("", "2025-11-25"),
        ] {
            assert_eq!(negotiate_legacy(requested), answered, "{requested}");
        }
    }

    #[test]
    fn eras() {
        assert_eq!(Era::of_version("2025-06-18"), Some(Era::Legacy));
        assert_eq!(Era::of_version("2026-07-28"), Some(Era::Modern));
        assert_eq!(Era::of_version("2027-01-01"), None);
        assert_eq!(Era::of_version(LATEST_LEGACY), Some(Era::Legacy));
        assert_eq!(Era::of_version(LATEST_MODERN), Some(Era::Modern));
    }
}
