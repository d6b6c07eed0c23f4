//! Signed checkpoints and the deployment's Ed25519 trace key.
//!
//! A checkpoint seals the records `first_seq..=last_seq` (those since the
//! previous checkpoint): it carries the Merkle root over their record
//! hashes and the hash of the last one, which through the chain commits to
//! every earlier record too. The signature is Ed25519 over
//!
//! ```text
//! "behavry-trace-checkpoint/1\n" || RFC 8785({first_seq, key_id, last_hash,
//!                                              last_seq, merkle_root, time, tree_size})
//! ```
//!
//! Public keys are written `ed25519:<64 hex>`; a key id is the first 16 hex
//! digits of the SHA-256 of the 32 public key bytes. Signatures are checked
//! with `verify_strict` (no small-order keys, no malleable signatures).

use crate::canonical::canonical_string;
use crate::TraceHash;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

const SIGNING_CONTEXT: &[u8] = b"behavry-trace-checkpoint/1\n";
const PUBLIC_KEY_PREFIX: &str = "ed25519:";
const SECRET_KEY_PREFIX: &str = "ed25519-secret:";

/// A signed seal over a contiguous range of records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub first_seq: u64,
    pub last_seq: u64,
    /// Leaves in the tree: `last_seq - first_seq + 1`.
    pub tree_size: u64,
    pub merkle_root: TraceHash,
    /// Record hash of `last_seq`.
    pub last_hash: TraceHash,
    /// When it was signed (RFC 3339, UTC), signed as written.
    pub time: String,
    pub key_id: String,
    /// 128 lowercase hex digits.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a public key must look like ed25519:<64 lowercase hex digits>")]
    MalformedPublicKey,
    #[error("the public key is not a valid ed25519 point")]
    InvalidPublicKey,
    #[error("a signing key must look like ed25519-secret:<64 lowercase hex digits>")]
    MalformedSecretKey,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint range {first}..={last} is empty or out of order")]
    BadRange { first: u64, last: u64 },
    #[error("tree size {tree_size} does not match the range {first}..={last}")]
    BadTreeSize {
        first: u64,
        last: u64,
        tree_size: u64,
    },
    #[error("checkpoint was signed by key {found}, expected {expected}")]
    WrongKey { expected: String, found: String },
    #[error("checkpoint signature is malformed")]
    MalformedSignature,
    #[error("checkpoint signature does not verify")]
    BadSignature,
    #[error("checkpoint time could not be written")]
    BadTime,
}

/// The deployment's signing key. Its `Debug` output hides the secret.
pub struct TraceSigningKey {
    key: SigningKey,
}

impl TraceSigningKey {
    /// A key from 32 secret random bytes.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        TraceSigningKey {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// Parse the key file text (`ed25519-secret:<64 hex>`, surrounding
    /// whitespace ignored).
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let hex_part = text
            .trim()
            .strip_prefix(SECRET_KEY_PREFIX)
            .ok_or(KeyError::MalformedSecretKey)?;
        let seed = TraceHash::from_hex(hex_part).map_err(|_| KeyError::MalformedSecretKey)?;
        Ok(Self::from_seed(seed.0))
    }

    /// The key file text. Secret: write it only to a private file.
    pub fn to_text(&self) -> String {
        format!("{SECRET_KEY_PREFIX}{}", hex::encode(self.key.to_bytes()))
    }

    pub fn public_key(&self) -> TracePublicKey {
        TracePublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// Sign a checkpoint over `first_seq..=last_seq`.
    pub fn sign(
        &self,
        first_seq: u64,
        last_seq: u64,
        merkle_root: TraceHash,
        last_hash: TraceHash,
        time: OffsetDateTime,
    ) -> Result<Checkpoint, CheckpointError> {
        if first_seq == 0 || last_seq < first_seq {
            return Err(CheckpointError::BadRange {
                first: first_seq,
                last: last_seq,
            });
        }
        let time = time
            .to_offset(time::UtcOffset::UTC)
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|_| CheckpointError::BadTime)?;
        let mut checkpoint = Checkpoint {
            first_seq,
            last_seq,
            tree_size: last_seq - first_seq + 1,
            merkle_root,
            last_hash,
            time,
            key_id: self.public_key().key_id(),
            signature: String::new(),
        };
        let signature = self.key.sign(&signed_bytes(&checkpoint));
        checkpoint.signature = hex::encode(signature.to_bytes());
        Ok(checkpoint)
    }
}

impl fmt::Debug for TraceSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceSigningKey({}, [secret hidden])", self.public_key())
    }
}

/// A public key that checks checkpoints.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TracePublicKey {
    key: VerifyingKey,
}

impl TracePublicKey {
    /// Parse `ed25519:<64 lowercase hex>` (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let hex_part = text
            .trim()
            .strip_prefix(PUBLIC_KEY_PREFIX)
            .ok_or(KeyError::MalformedPublicKey)?;
        let bytes = TraceHash::from_hex(hex_part).map_err(|_| KeyError::MalformedPublicKey)?;
        let key = VerifyingKey::from_bytes(&bytes.0).map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(TracePublicKey { key })
    }

    /// First 16 hex digits of SHA-256 over the key bytes.
    pub fn key_id(&self) -> String {
        let digest = TraceHash::digest(self.key.as_bytes()).to_hex();
        digest.chars().take(16).collect()
    }

    /// Check the checkpoint's shape, key id and signature.
    pub fn verify(&self, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
        let (first, last) = (checkpoint.first_seq, checkpoint.last_seq);
        if first == 0 || last < first {
            return Err(CheckpointError::BadRange { first, last });
        }
        if checkpoint.tree_size != last - first + 1 {
            return Err(CheckpointError::BadTreeSize {
                first,
                last,
                tree_size: checkpoint.tree_size,
            });
        }
        let expected = self.key_id();
        if checkpoint.key_id != expected {
            return Err(CheckpointError::WrongKey {
                expected,
                found: checkpoint.key_id.clone(),
            });
        }
        let sig = &checkpoint.signature;
        if sig.len() != 128 || !sig.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(CheckpointError::MalformedSignature);
        }
        let mut bytes = [0u8; 64];
        hex::decode_to_slice(sig, &mut bytes).map_err(|_| CheckpointError::MalformedSignature)?;
        self.key
            .verify_strict(&signed_bytes(checkpoint), &Signature::from_bytes(&bytes))
            .map_err(|_| CheckpointError::BadSignature)
    }
}

impl fmt::Display for TracePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_KEY_PREFIX}{}", hex::encode(self.key.as_bytes()))
    }
}

impl fmt::Debug for TracePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TracePublicKey({self})")
    }
}

/// The bytes a checkpoint's signature covers.
fn signed_bytes(c: &Checkpoint) -> Vec<u8> {
    let body = serde_json::json!({
        "first_seq": c.first_seq,
        "last_seq": c.last_seq,
        "tree_size": c.tree_size,
        "merkle_root": c.merkle_root.to_hex(),
        "last_hash": c.last_hash.to_hex(),
        "time": c.time,
        "key_id": c.key_id,
    });
    let mut out = SIGNING_CONTEXT.to_vec();
    out.extend_from_slice(canonical_string(&body).as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> TraceSigningKey {
        TraceSigningKey::from_seed([n; 32])
    }

    fn sample(k: &TraceSigningKey) -> Checkpoint {
        k.sign(
            1,
            10,
            TraceHash::digest(b"root"),
            TraceHash::digest(b"last"),
            OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap()
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_any_field_change_fails() {
        let k = key(7);
        let pk = k.public_key();
        let cp = sample(&k);
        assert_eq!(cp.tree_size, 10);
        assert_eq!(cp.time, "1970-01-01T00:00:00Z");
        pk.verify(&cp).unwrap();
        let mutations: Vec<fn(&mut Checkpoint)> = vec![
            |c| c.first_seq = 2,
            |c| c.last_seq = 11,
            |c| c.tree_size = 9,
            |c| c.merkle_root = TraceHash::digest(b"other"),
            |c| c.last_hash = TraceHash::digest(b"other"),
            |c| c.time = "1970-01-01T00:00:01Z".into(),
            |c| c.key_id = "0000000000000000".into(),
            |c| c.signature = c.signature.to_uppercase(),
            |c| c.signature.truncate(126),
        ];
        for mutate in mutations {
            let mut altered = cp.clone();
            mutate(&mut altered);
            assert!(pk.verify(&altered).is_err(), "{altered:?}");
        }
        // Same fields, both tree size and range moved together: still signed over the old values.
        let mut moved = cp.clone();
        moved.last_seq = 11;
        moved.tree_size = 11;
        assert_eq!(pk.verify(&moved), Err(CheckpointError::BadSignature));
    }

    #[test]
    fn another_key_does_not_verify() {
        let cp = sample(&key(1));
        assert!(matches!(
            key(2).public_key().verify(&cp),
            Err(CheckpointError::WrongKey { .. })
        ));
    }

    #[test]
    fn keys_round_trip_through_text_and_hide_secrets() {
        let k = key(3);
        let again = TraceSigningKey::from_text(&format!("  {}\n", k.to_text())).unwrap();
        assert_eq!(again.public_key(), k.public_key());
        let pk_text = k.public_key().to_string();
        assert!(pk_text.starts_with("ed25519:") && pk_text.len() == 8 + 64);
        assert_eq!(TracePublicKey::parse(&pk_text).unwrap(), k.public_key());
        assert!(!format!("{k:?}").contains(&k.to_text()[15..]));
        for bad in [
            "",
            "ed25519:",
            "ed25519:zz",
            &pk_text.to_uppercase(),
            &pk_text[8..],
        ] {
            assert!(TracePublicKey::parse(bad).is_err(), "{bad}");
        }
        assert!(TraceSigningKey::from_text(&pk_text).is_err());
    }

    #[test]
    fn signing_refuses_bad_ranges() {
        let k = key(4);
        let h = TraceHash::GENESIS;
        assert!(k.sign(0, 1, h, h, OffsetDateTime::UNIX_EPOCH).is_err());
        assert!(k.sign(5, 4, h, h, OffsetDateTime::UNIX_EPOCH).is_err());
    }
}
