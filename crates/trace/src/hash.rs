//! SHA-256 digests as the trace writes them (64 lowercase hex digits), and
//! the record hash that chains records together.
//!
//! A record's hash is the SHA-256 of the bytes
//!
//! ```text
//! {"event":<body>,"prev_hash":"<64 hex>","seq":<seq>,"v":1}
//! ```
//!
//! where `<body>` is the stored event text, `prev_hash` the previous
//! record's hash (64 zeros for record 1) and `seq` the record's sequence
//! number in decimal. Records are written with an RFC 8785 body, so these
//! bytes are exactly the RFC 8785 encoding of the object
//! `{v: 1, seq, prev_hash, event}`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;

/// Highest sequence number a record may carry: RFC 8785 numbers are
/// doubles, which hold every integer up to 2^53 exactly.
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// Version of the record hash construction (the `v` member).
pub const RECORD_VERSION: u32 = 1;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceHash(pub [u8; 32]);

impl TraceHash {
    /// The `prev_hash` of record 1.
    pub const GENESIS: TraceHash = TraceHash([0; 32]);

    /// SHA-256 of `bytes`.
    pub fn digest(bytes: &[u8]) -> TraceHash {
        TraceHash(Sha256::digest(bytes).into())
    }

    /// Parse exactly 64 lowercase hex digits. Uppercase is refused, so one
    /// digest has one spelling.
    pub fn from_hex(text: &str) -> Result<TraceHash, HashError> {
        if text.len() != 64 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(HashError::Malformed);
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).map_err(|_| HashError::Malformed)?;
        Ok(TraceHash(out))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for TraceHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for TraceHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceHash({})", self.to_hex())
    }
}

impl Serialize for TraceHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for TraceHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TraceHash::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("a hash must be 64 lowercase hex digits")]
    Malformed,
    #[error("sequence number {0} is outside 1..=2^53-1")]
    SeqOutOfRange(u64),
}

/// The hash of record `seq` with event text `body` following `prev`.
pub fn record_hash(seq: u64, prev: &TraceHash, body: &str) -> Result<TraceHash, HashError> {
    if seq == 0 || seq > MAX_SEQ {
        return Err(HashError::SeqOutOfRange(seq));
    }
    let mut hasher = Sha256::new();
    hasher.update(b"{\"event\":");
    hasher.update(body.as_bytes());
    hasher.update(b",\"prev_hash\":\"");
    let mut hex = [0u8; 64];
    // Cannot fail: the buffer is exactly twice the digest length.
    let _ = hex::encode_to_slice(prev.0, &mut hex);
    hasher.update(hex);
    hasher.update(b"\",\"seq\":");
    hasher.update(seq.to_string().as_bytes());
    hasher.update(format!(",\"v\":{RECORD_VERSION}}}").as_bytes());
    Ok(TraceHash(hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::canonical_string;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn hex_is_strict() {
        let h = TraceHash::digest(b"x");
        assert_eq!(TraceHash::from_hex(&h.to_hex()), Ok(h));
        for bad in [
            h.to_hex().to_uppercase(),
            h.to_hex()[1..].to_string(),
            format!("{}0", h.to_hex()),
            format!("g{}", &h.to_hex()[1..]),
            String::new(),
        ] {
            assert_eq!(
                TraceHash::from_hex(&bad),
                Err(HashError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn seq_must_be_in_range() {
        let body = "{}";
        assert!(record_hash(0, &TraceHash::GENESIS, body).is_err());
        assert!(record_hash(MAX_SEQ + 1, &TraceHash::GENESIS, body).is_err());
        assert!(record_hash(MAX_SEQ, &TraceHash::GENESIS, body).is_ok());
    }

    proptest! {
        /// The concatenated bytes are the RFC 8785 encoding of the envelope.
        #[test]
        fn record_hash_is_sha256_of_the_canonical_envelope(
            seq in 1u64..=MAX_SEQ,
            prev in any::<[u8; 32]>(),
            tool in any::<String>(),
            latency in 0.0f64..1e6,
        ) {
            let event = json!({"decision_id": "d", "kind": "decision", "tool": tool, "latency_ms": latency});
            let body = canonical_string(&event);
            let prev = TraceHash(prev);
            let envelope = json!({"v": 1, "seq": seq, "prev_hash": prev.to_hex(), "event": event});
            prop_assert_eq!(
                record_hash(seq, &prev, &body).unwrap(),
                TraceHash::digest(canonical_string(&envelope).as_bytes())
            );
        }
    }
}
