//! Agent credentials: minting, hashing and the in-memory directory the hot
//! path authenticates against.
//!
//! Invariants:
//! - A credential is 32 random bytes (base64url, `bhv_` prefix); only its
//!   SHA-256 is stored, and only the hash is held in memory.
//! - Lookups compare the stored hash with the presented one in constant time.
//! - The directory is an immutable snapshot swapped atomically; a request
//!   never waits on the control plane.

use arc_swap::ArcSwap;
use base64::Engine as _;
use behavry_core::AgentIdentity;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

const PREFIX: &str = "bhv_";

/// Mint a new credential; returns the plaintext (shown once) and its hash.
pub fn mint_credential() -> (String, String) {
    let bytes: [u8; 32] = rand_bytes();
    let plaintext = format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_credential(&plaintext);
    (plaintext, hash)
}

fn rand_bytes() -> [u8; 32] {
    use rand::RngCore;
    let mut out = [0u8; 32];
    // ThreadRng is a CSPRNG reseeded from the operating system.
    rand::rng().fill_bytes(&mut out);
    out
}

/// Hex SHA-256 of a credential. Credentials are high-entropy, so a fast
/// hash is sufficient (no offline guessing is feasible).
pub fn hash_credential(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

/// Why a bearer credential was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer credential")]
    Missing,
    #[error("malformed authorization header")]
    Malformed,
    #[error("unknown or revoked credential")]
    Unknown,
}

/// Snapshot of active agents keyed by credential hash.
#[derive(Default)]
pub struct AgentDirectory {
    by_hash: ArcSwap<HashMap<[u8; 32], Arc<AgentIdentity>>>,
    /// Active agents' roles by name (workflow chains name agents).
    roles: ArcSwap<HashMap<String, String>>,
}

impl AgentDirectory {
    /// Replace the snapshot with `agents` (hash hex, identity) pairs. Entries
    /// whose hash is not 64 hex characters are skipped and reported.
    pub fn replace(
        &self,
        agents: impl IntoIterator<Item = (String, AgentIdentity)>,
    ) -> Vec<String> {
        let mut map = HashMap::new();
        let mut roles = HashMap::new();
        let mut skipped = Vec::new();
        for (hash, identity) in agents {
            roles.insert(identity.name.clone(), identity.role.clone());
            match decode_hash(&hash) {
                Some(key) => {
                    map.insert(key, Arc::new(identity));
                }
                None => skipped.push(identity.name.clone()),
            }
        }
        self.by_hash.store(Arc::new(map));
        self.roles.store(Arc::new(roles));
        skipped
    }

    /// The role of the active agent named `name`.
    pub fn role_of(&self, name: &str) -> Option<String> {
        self.roles.load().get(name).cloned()
    }

    pub fn len(&self) -> usize {
        self.by_hash.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Authenticate an `Authorization` header value.
    pub fn authenticate(&self, header: Option<&[u8]>) -> Result<Arc<AgentIdentity>, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let text = std::str::from_utf8(header).map_err(|_| AuthError::Malformed)?;
        let (scheme, token) = text.trim().split_once(' ').ok_or(AuthError::Malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Malformed);
        }
        let token = token.trim();
        if token.is_empty() || token.len() > 512 {
            return Err(AuthError::Malformed);
        }
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let snapshot = self.by_hash.load();
        match snapshot.get_key_value(&presented) {
            Some((stored, identity)) if bool::from(stored.ct_eq(&presented)) => {
                Ok(identity.clone())
            }
            _ => Err(AuthError::Unknown),
        }
    }
}

fn decode_hash(hex_hash: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(hex_hash).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use behavry_core::AgentId;

    fn identity(name: &str) -> AgentIdentity {
        AgentIdentity {
            id: AgentId(name.into()),
            name: name.into(),
            role: "analyst".into(),
            labels: Default::default(),
            owner: None,
        }
    }

    #[test]
    fn minted_credentials_authenticate_and_others_do_not() {
        let (a, a_hash) = mint_credential();
        let (b, _) = mint_credential();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() > 40);
        let dir = AgentDirectory::default();
        assert!(dir.replace([(a_hash, identity("alpha"))]).is_empty());
        assert_eq!(
            dir.authenticate(Some(format!("Bearer {a}").as_bytes()))
                .unwrap()
                .name,
            "alpha"
        );
        assert_eq!(
            dir.authenticate(Some(format!("bearer  {a} ").as_bytes()))
                .unwrap()
                .name,
            "alpha"
        );
        assert_eq!(
            dir.authenticate(Some(format!("Bearer {b}").as_bytes()))
                .unwrap_err(),
            AuthError::Unknown
        );
        assert_eq!(dir.authenticate(None).unwrap_err(), AuthError::Missing);
        for bad in ["Basic abc", "Bearer", "Bearer ", "token"] {
            assert_eq!(
                dir.authenticate(Some(bad.as_bytes())).unwrap_err(),
                AuthError::Malformed,
                "{bad}"
            );
        }
        assert_eq!(
            dir.authenticate(Some(&[0xff, 0xfe])).unwrap_err(),
            AuthError::Malformed
        );
    }

    #[test]
    fn replacing_the_snapshot_revokes() {
        let (a, a_hash) = mint_credential();
        let dir = AgentDirectory::default();
        dir.replace([
            (a_hash, identity("alpha")),
            ("nothex".into(), identity("broken")),
        ]);
        assert_eq!(dir.len(), 1);
        dir.replace([]);
        assert_eq!(
            dir.authenticate(Some(format!("Bearer {a}").as_bytes()))
                .unwrap_err(),
            AuthError::Unknown
        );
    }
}
