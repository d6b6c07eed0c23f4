//! W3C Trace Context `traceparent` values: parsing, validation and child
//! spans, so every decision of a workflow can be placed in one trace and
//! the trace continues upstream.
//!
//! Parsing follows Trace Context Level 1: `version-traceid-parentid-flags`
//! in lowercase hex; version `ff` is invalid; version `00` is exactly 55
//! characters; a later version may append fields after a `-`, which are
//! ignored; all-zero trace or parent ids are invalid. A value that does not
//! parse should be ignored (a new trace started), not trusted partially.

use std::fmt;

/// Why a `traceparent` value was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TraceParentError {
    #[error("traceparent has the wrong length or separators")]
    Shape,
    #[error("traceparent contains characters other than lowercase hex")]
    Hex,
    #[error("traceparent version `ff` is invalid")]
    Version,
    #[error("traceparent trace id is all zeros")]
    ZeroTraceId,
    #[error("traceparent parent id is all zeros")]
    ZeroParentId,
}

/// A parsed `traceparent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: [u8; 16],
    parent_id: [u8; 8],
    flags: u8,
}

const SAMPLED: u8 = 0x01;

fn lower_hex<const N: usize>(text: &str) -> Result<[u8; N], TraceParentError> {
    if text.len() != N * 2
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(TraceParentError::Hex);
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|_| TraceParentError::Hex)?;
    Ok(out)
}

impl TraceParent {
    /// Parse a header or `_meta.traceparent` value.
    pub fn parse(value: &str) -> Result<Self, TraceParentError> {
        let value = value.trim_matches(|c| c == ' ' || c == '\t');
        if value.len() < 55 || !value.is_char_boundary(55) {
            return Err(TraceParentError::Shape);
        }
        let (head, rest) = value.split_at(55);
        let version = head.get(0..2).ok_or(TraceParentError::Shape)?;
        let [version] = lower_hex::<1>(version)?;
        if version == 0xff {
            return Err(TraceParentError::Version);
        }
        if version == 0 && !rest.is_empty() {
            return Err(TraceParentError::Shape);
        }
        if !rest.is_empty() && !rest.starts_with('-') {
            return Err(TraceParentError::Shape);
        }
        let bytes = head.as_bytes();
        if bytes.get(2) != Some(&b'-')
            || bytes.get(35) != Some(&b'-')
            || bytes.get(52) != Some(&b'-')
        {
            return Err(TraceParentError::Shape);
        }
        let trace_id = lower_hex::<16>(head.get(3..35).ok_or(TraceParentError::Shape)?)?;
        let parent_id = lower_hex::<8>(head.get(36..52).ok_or(TraceParentError::Shape)?)?;
        let [flags] = lower_hex::<1>(head.get(53..55).ok_or(TraceParentError::Shape)?)?;
        TraceParent::new(trace_id, parent_id, flags)
    }

    /// Build from parts, rejecting all-zero ids.
    pub fn new(
        trace_id: [u8; 16],
        parent_id: [u8; 8],
        flags: u8,
    ) -> Result<Self, TraceParentError> {
        if trace_id == [0; 16] {
            return Err(TraceParentError::ZeroTraceId);
        }
        if parent_id == [0; 8] {
            return Err(TraceParentError::ZeroParentId);
        }
        Ok(TraceParent {
            trace_id,
            parent_id,
            flags,
        })
    }

    /// A new trace with random ids, sampled.
    pub fn new_root() -> Self {
        let trace = uuid::Uuid::new_v4().into_bytes();
        TraceParent {
            trace_id: trace,
            parent_id: random_span_id(),
            flags: SAMPLED,
        }
    }

    /// The same trace with `span_id` as the new parent: what Behavry sends
    /// upstream for the span of its decision.
    pub fn child(&self, span_id: [u8; 8]) -> Result<Self, TraceParentError> {
        TraceParent::new(self.trace_id, span_id, self.flags)
    }

    /// `child` with a random span id.
    pub fn child_random(&self) -> Self {
        TraceParent {
            parent_id: random_span_id(),
            ..*self
        }
    }

    pub fn trace_id_hex(&self) -> String {
        hex::encode(self.trace_id)
    }

    pub fn parent_id_hex(&self) -> String {
        hex::encode(self.parent_id)
    }

    pub fn sampled(&self) -> bool {
        self.flags & SAMPLED != 0
    }
}

fn random_span_id() -> [u8; 8] {
    loop {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let mut span = [0u8; 8];
        span.copy_from_slice(&bytes[8..16]);
        if span != [0; 8] {
            return span;
        }
    }
}

impl fmt::Display for TraceParent {
    /// Always written as version `00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            hex::encode(self.trace_id),
            hex::encode(self.parent_id),
            self.flags
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_and_prints_the_spec_example() {
        let tp = TraceParent::parse(GOOD).unwrap();
        assert_eq!(tp.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.parent_id_hex(), "00f067aa0ba902b7");
        assert!(tp.sampled());
        assert_eq!(tp.to_string(), GOOD);
        assert_eq!(TraceParent::parse(&format!(" {GOOD}\t")).unwrap(), tp);
    }

    #[test]
    fn rejects_malformed_values() {
        let cases: &[(&str, TraceParentError)] = &[
            ("", TraceParentError::Shape),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                TraceParentError::Shape,
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                TraceParentError::Shape,
            ),
            (
                "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                TraceParentError::Shape,
            ),
            (
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                TraceParentError::Hex,
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
                TraceParentError::Hex,
            ),
            (
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                TraceParentError::Version,
            ),
            (
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                TraceParentError::ZeroTraceId,
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                TraceParentError::ZeroParentId,
            ),
            (
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
                TraceParentError::Shape,
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0é",
                TraceParentError::Shape,
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(TraceParent::parse(value), Err(*expected), "{value:?}");
        }
    }

    #[test]
    fn later_versions_parse_their_first_fields() {
        let tp = TraceParent::parse(
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future",
        )
        .unwrap();
        assert_eq!(tp.to_string(), GOOD);
    }

    #[test]
    fn children_keep_the_trace_and_flags() {
        let tp = TraceParent::parse(GOOD).unwrap();
        let child = tp.child([1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        assert_eq!(child.trace_id_hex(), tp.trace_id_hex());
        assert_eq!(child.parent_id_hex(), "0102030405060708");
        assert_eq!(child.sampled(), tp.sampled());
        assert_eq!(tp.child([0; 8]), Err(TraceParentError::ZeroParentId));
        let random = tp.child_random();
        assert_eq!(random.trace_id_hex(), tp.trace_id_hex());
        assert_ne!(random.parent_id_hex(), tp.parent_id_hex());
        let root = TraceParent::new_root();
        assert_eq!(TraceParent::parse(&root.to_string()), Ok(root));
    }
}
