//! DNS-rebinding protection for a gateway bound to loopback: a browser page
//! from another site can reach 127.0.0.1, but it cannot make its request
//! carry a loopback `Host`, and its `Origin` names the other site.

use axum::http::{header, HeaderMap};

const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// `Host` is a loopback name (any port) and `Origin`, when present, is a
/// loopback http(s) origin.
pub fn is_local_request(headers: &HeaderMap) -> bool {
    let host_ok = match headers.get(header::HOST).map(|v| v.to_str()) {
        None => true,
        Some(Ok(host)) => is_local_authority(host),
        Some(Err(_)) => false,
    };
    let origin_ok = match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        None => true,
        Some(Ok(origin)) => origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(is_local_authority),
        Some(Err(_)) => false,
    };
    host_ok && origin_ok
}

fn is_local_authority(authority: &str) -> bool {
    let authority = authority.trim().to_ascii_lowercase();
    LOCAL_NAMES
        .iter()
        .any(|name| match authority.strip_prefix(name) {
            Some("") => true,
            Some(rest) => rest
                .strip_prefix(':')
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())),
            None => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = host {
            h.insert(header::HOST, HeaderValue::from_str(v).unwrap());
        }
        if let Some(v) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn loopback_hosts_and_origins() {
        let allowed = [
            (Some("127.0.0.1:8080"), None),
            (Some("localhost"), None),
            (Some("[::1]:9"), Some("http://localhost:3000")),
            (None, None),
            (Some("LOCALHOST:80"), Some("https://127.0.0.1")),
        ];
        for (host, origin) in allowed {
            assert!(
                is_local_request(&headers(host, origin)),
                "{host:?} {origin:?}"
            );
        }
        let refused = [
            (Some("evil.example.com"), None),
            (Some("127.0.0.1.evil.example.com"), None),
            (Some("localhost:"), None),
            (Some("localhost:80x"), None),
            (Some("127.0.0.1:8080"), Some("http://evil.example.com")),
            (Some("127.0.0.1:8080"), Some("null")),
            (
                Some("127.0.0.1:8080"),
                Some("http://localhost.evil.example.com"),
            ),
        ];
        for (host, origin) in refused {
            assert!(
                !is_local_request(&headers(host, origin)),
                "{host:?} {origin:?}"
            );
        }
    }
}
