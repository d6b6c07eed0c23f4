//! Encoders: a batch of trace records to the bytes one delivery sends.
//!
//! An encoder is pure (no I/O) and deterministic: encoding the same records
//! again gives the same bytes, so a retried batch carries the same event ids
//! and receivers can de-duplicate. Encoders that need earlier events of a
//! decision (OpenTelemetry spans) say so with [`Encoder::needs_related`];
//! the runner then fills [`EncodeContext::related`] from the store.

mod cef;
mod datadog;
mod ecs;
mod jsonl;
mod ocsf;
mod otlp_logs;
mod otlp_spans;
mod splunk;
mod syslog;

pub use ocsf::ocsf_doc;
pub use otlp_spans::{missing_decisions, related_of};
pub use syslog::Framing;

use crate::record::{EncodeError, Record};
use behavry_config::{SinkEncoding, SinkKind};
use behavry_core::TraceEvent;
use std::collections::HashMap;

/// Settings an encoder takes from its sink's configuration.
#[derive(Debug, Clone, Default)]
pub struct EncoderOptions {
    /// Host name written into records that carry one.
    pub hostname: String,
    /// Splunk index or Elasticsearch index.
    pub index: Option<String>,
}

/// What an encoder may read besides the batch itself.
#[derive(Debug, Default)]
pub struct EncodeContext {
    /// Earlier events of decisions in the batch, by decision id.
    pub related: HashMap<String, Vec<TraceEvent>>,
}

pub trait Encoder: Send + Sync {
    /// The body for one batch (never empty for a non-empty batch).
    fn encode(&self, batch: &[Record], ctx: &EncodeContext) -> Result<Vec<u8>, EncodeError>;
    /// `Content-Type` of the body when sent over HTTP.
    fn content_type(&self) -> &'static str;
    /// Whether [`EncodeContext::related`] must hold the earlier events of
    /// the decisions in a batch.
    fn needs_related(&self) -> bool {
        false
    }
}

/// The encoder for a sink's kind and encoding.
pub fn encoder_for(
    kind: SinkKind,
    encoding: SinkEncoding,
    options: EncoderOptions,
) -> Box<dyn Encoder> {
    let framing = if kind == SinkKind::Syslog {
        Framing::OctetCounting
    } else {
        Framing::Newline
    };
    let docs = |doc| -> Box<dyn Encoder> {
        match kind {
            SinkKind::SplunkHec => Box::new(splunk::SplunkHec::new(doc, options.clone())),
            SinkKind::Datadog => Box::new(datadog::Datadog::new(doc, options.clone())),
            SinkKind::Elasticsearch => Box::new(ecs::Bulk::new(doc, options.clone())),
            _ => Box::new(jsonl::Lines::new(doc)),
        }
    };
    match encoding {
        SinkEncoding::Jsonl => docs(Doc::Native),
        SinkEncoding::Ocsf => docs(Doc::Ocsf),
        SinkEncoding::SplunkHec => docs(Doc::Native),
        SinkEncoding::Datadog => docs(Doc::Native),
        SinkEncoding::Ecs if kind == SinkKind::Elasticsearch => docs(Doc::Ecs),
        SinkEncoding::Ecs => Box::new(jsonl::Lines::new(Doc::Ecs)),
        SinkEncoding::OtlpLogs => Box::new(otlp_logs::OtlpLogs::new(options)),
        SinkEncoding::OtlpSpans => Box::new(otlp_spans::OtlpSpans::new(options)),
        SinkEncoding::Syslog5424 => Box::new(syslog::Syslog5424::new(
            syslog::Payload::Native,
            framing,
            options,
        )),
        SinkEncoding::Cef if kind == SinkKind::Syslog => Box::new(syslog::Syslog5424::new(
            syslog::Payload::Cef,
            framing,
            options,
        )),
        SinkEncoding::Cef => Box::new(cef::CefLines),
    }
}

/// The document shape carried inside an envelope (JSON lines, HEC, bulk,
/// Datadog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    /// The native record, `behavry.trace.v1`.
    Native,
    /// OCSF API Activity (class 6003).
    Ocsf,
    /// Elastic Common Schema.
    Ecs,
}

impl Doc {
    pub(crate) fn build(
        self,
        view: &crate::record::View,
    ) -> serde_json::Map<String, serde_json::Value> {
        match self {
            Doc::Native => view.doc.clone(),
            Doc::Ocsf => ocsf::ocsf_doc(view),
            Doc::Ecs => ecs::ecs_doc(view),
        }
    }
}

/// A nested field of a native record, e.g. `["agent", "name"]`.
pub(crate) fn field<'a>(
    doc: &'a serde_json::Map<String, serde_json::Value>,
    path: &[&str],
) -> Option<&'a serde_json::Value> {
    let (first, rest) = path.split_first()?;
    rest.iter()
        .try_fold(doc.get(*first)?, |value, key| value.get(*key))
}

/// A nested string field of a native record.
pub(crate) fn text<'a>(
    doc: &'a serde_json::Map<String, serde_json::Value>,
    path: &[&str],
) -> Option<&'a str> {
    field(doc, path).and_then(serde_json::Value::as_str)
}

/// Whether a call outcome or approval counts as success, failure or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Result3 {
    Success,
    Failure,
    Other,
}

pub(crate) fn result_of(view: &crate::record::View) -> Result3 {
    match (view.kind.as_str(), view.action.as_str()) {
        ("decision", "allow") | ("approval", "approved") => Result3::Success,
        ("decision", "deny") | ("approval", _) | ("outcome", "blocked" | "upstream_failed") => {
            Result3::Failure
        }
        ("outcome", "completed") => {
            if field(&view.doc, &["is_error"]).and_then(serde_json::Value::as_bool) == Some(true) {
                Result3::Failure
            } else {
                Result3::Success
            }
        }
        _ => Result3::Other,
    }
}

/// A JSON object from owned values. (`serde_json::json!` re-serializes
/// every embedded `Value`, a deep copy per level, which made nested
/// encodings an order of magnitude slower.)
pub(crate) fn obj<const N: usize>(pairs: [(&str, serde_json::Value); N]) -> serde_json::Value {
    serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
