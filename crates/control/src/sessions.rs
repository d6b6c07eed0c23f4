//! Console sessions: the secret id in the cookie, its CSRF token, and
//! resolving a cookie to the operator behind it.
//!
//! Invariants:
//! - The session id is 32 random bytes (64 hex digits); only its SHA-256 is
//!   stored. A malformed cookie never reaches the store.
//! - The CSRF token is derived from the session id (SHA-256 under a fixed
//!   domain-separation prefix), so it is bound to one session, needs no
//!   storage, and does not reveal the id.
//! - A session ends at its absolute expiry, after `idle` without a request,
//!   when its operator is disabled or changes password, and on logout.
//!   Every request re-reads the operator, so a role change applies at once.

use crate::error::ApiError;
use crate::operator::{Operator, Role};
use axum::http::HeaderMap;
use behavry_store::{ConsoleSessionRecord, Store};
use sha2::{Digest, Sha256};
use std::time::Duration;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// Cookie name when the console is reached over HTTPS (the `__Host-` prefix
/// makes browsers insist on Secure, Path=/ and no Domain).
pub const SECURE_COOKIE: &str = "__Host-behavry_session";
/// Cookie name over plain HTTP (loopback or a trusted network).
pub const PLAIN_COOKIE: &str = "behavry_session";
/// `last_seen_at` is written at most this often per session.
const TOUCH_EVERY: time::Duration = time::Duration::seconds(60);

/// How console sessions behave; from `[admin]` in the configuration.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// End a session after this long without a request.
    pub idle: Duration,
    /// End a session this long after sign-in, whatever its activity.
    pub absolute: Duration,
    /// The console's public origin (`https://console.example.com`) when it
    /// is reached through a TLS-terminating proxy. An `https` origin makes
    /// cookies `Secure` with the `__Host-` prefix; when set, it is the only
    /// origin accepted on state-changing requests.
    pub public_origin: Option<String>,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            public_origin: None,
        }
    }
}

impl SessionSettings {
    pub fn secure(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"))
    }

    pub fn cookie_name(&self) -> &'static str {
        if self.secure() {
            SECURE_COOKIE
        } else {
            PLAIN_COOKIE
        }
    }

    /// `Set-Cookie` value for a new session.
    pub fn set_cookie(&self, id: &SessionId) -> String {
        format!(
            "{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}",
            self.cookie_name(),
            id.0,
            self.absolute.as_secs(),
            if self.secure() { "; Secure" } else { "" }
        )
    }

    /// `Set-Cookie` value that removes the session cookie.
    pub fn clear_cookie(&self) -> String {
        format!(
            "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
            self.cookie_name(),
            if self.secure() { "; Secure" } else { "" }
        )
    }
}

/// The secret session id a browser holds. Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId([hidden])")
    }
}

impl SessionId {
    pub fn generate() -> Self {
        SessionId(hex::encode(rand::random::<[u8; 32]>()))
    }

    /// Accept only what [`SessionId::generate`] produces.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 64
            && value
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| SessionId(value.to_string()))
    }

    /// The session's cookie in `headers`, if any is well formed.
    pub fn from_headers(headers: &HeaderMap, cookie_name: &str) -> Option<Self> {
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == cookie_name)
            .and_then(|(_, value)| SessionId::parse(value.trim()))
    }

    /// What the store keys the session by.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// The session's CSRF token.
    pub fn csrf_token(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"behavry-console-csrf\0");
        h.update(self.0.as_bytes());
        hex::encode(h.finalize())
    }

    /// Constant-time check of a presented CSRF token.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        bool::from(self.csrf_token().as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// The operator behind a session cookie, or `Unauthorized`. Ends (deletes)
/// a session found expired, idle or belonging to a disabled operator.
pub async fn resolve(
    store: &Store,
    settings: &SessionSettings,
    id: &SessionId,
) -> Result<Operator, ApiError> {
    let hash = id.hash();
    let Some(session) = store.get_console_session(&hash).await? else {
        return Err(ApiError::Unauthorized);
    };
    let now = OffsetDateTime::now_utc();
    if !is_live(&session, settings, now) {
        store.delete_console_session(&hash).await?;
        return Err(ApiError::Unauthorized);
    }
    let operator = match &session.operator_id {
        None => Operator::admin_token(),
        Some(operator_id) => {
            let record = store.get_operator_by_id(operator_id).await?;
            match record {
                Some(r) if !r.is_disabled() => match Role::parse(&r.role) {
                    Some(role) => Operator {
                        name: r.name,
                        role,
                        groups: r.groups,
                    },
                    None => return Err(ApiError::Unauthorized),
                },
                _ => {
                    store.delete_console_session(&hash).await?;
                    return Err(ApiError::Unauthorized);
                }
            }
        }
    };
    if now - session.last_seen_at >= TOUCH_EVERY {
        store.touch_console_session(&hash, now).await?;
    }
    Ok(operator)
}

fn is_live(
    session: &ConsoleSessionRecord,
    settings: &SessionSettings,
    now: OffsetDateTime,
) -> bool {
    let idle = time::Duration::try_from(settings.idle).unwrap_or(time::Duration::ZERO);
    now < session.expires_at && now - session.last_seen_at < idle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_parse_strictly_and_csrf_is_bound_to_the_id() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a, b);
        assert_eq!(SessionId::parse(&a.0), Some(a.clone()));
        for bad in ["", "abc", &"A".repeat(64), &"g".repeat(64), &"a".repeat(65)] {
            assert_eq!(SessionId::parse(bad), None, "{bad}");
        }
        assert!(a.csrf_matches(&a.csrf_token()));
        assert!(!a.csrf_matches(&b.csrf_token()));
        assert!(!a.csrf_matches(""));
        assert_ne!(
            a.csrf_token(),
            a.hash(),
            "csrf token and stored hash differ"
        );
        assert!(!format!("{a:?}").contains(&a.0));
    }

    proptest::proptest! {
        /// Any cookie header parses without panicking, and only a 64-digit
        /// lowercase hex value under the session cookie's name is accepted.
        #[test]
        fn cookie_parsing_accepts_only_well_formed_ids(header in "[ -~]{0,200}") {
            let mut headers = HeaderMap::new();
            if let Ok(value) = header.parse() {
                headers.insert("cookie", value);
            }
            if let Some(id) = SessionId::from_headers(&headers, PLAIN_COOKIE) {
                proptest::prop_assert_eq!(id.0.len(), 64);
                proptest::prop_assert!(id.0.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
                let expected = format!("{PLAIN_COOKIE}=");
                proptest::prop_assert!(header.contains(&expected));
            }
        }

        #[test]
        fn csrf_tokens_differ_between_sessions(a in "[0-9a-f]{64}", b in "[0-9a-f]{64}") {
            let (a, b) = (SessionId::parse(&a).unwrap(), SessionId::parse(&b).unwrap());
            proptest::prop_assert_eq!(a.csrf_matches(&b.csrf_token()), a == b);
        }
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let id = SessionId::generate();
        let mut headers = HeaderMap::new();
        headers.append("cookie", "other=1".parse().unwrap());
        headers.append(
            "cookie",
            format!("x=y; {PLAIN_COOKIE}={}; z=w", id.0)
                .parse()
                .unwrap(),
        );
        assert_eq!(SessionId::from_headers(&headers, PLAIN_COOKIE), Some(id));
        assert_eq!(SessionId::from_headers(&headers, SECURE_COOKIE), None);
    }

    #[test]
    fn cookie_attributes_follow_the_public_origin() {
        let plain = SessionSettings::default();
        let c = plain.set_cookie(&SessionId::generate());
        assert!(c.starts_with("behavry_session=") && c.contains("HttpOnly"));
        assert!(c.contains("SameSite=Strict") && !c.contains("Secure"));
        let tls = SessionSettings {
            public_origin: Some("https://console.example.com".into()),
            ..SessionSettings::default()
        };
        let c = tls.set_cookie(&SessionId::generate());
        assert!(c.starts_with("__Host-behavry_session=") && c.contains("; Secure"));
        assert!(c.contains("Path=/") && !c.contains("Domain"));
    }
}
