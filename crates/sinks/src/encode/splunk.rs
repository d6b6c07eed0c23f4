//! Splunk HTTP Event Collector: one JSON event object per record, the
//! objects concatenated (the `/services/collector/event` batch format).
//! `time` is epoch seconds with millisecond precision; indexed `fields`
//! carry the ids a search de-duplicates on.

use super::{obj, Doc, EncodeContext, Encoder, EncoderOptions};
use crate::record::{EncodeError, Record, View};
use serde_json::{json, Value};

pub struct SplunkHec {
    doc: Doc,
    options: EncoderOptions,
}

impl SplunkHec {
    pub fn new(doc: Doc, options: EncoderOptions) -> Self {
        SplunkHec { doc, options }
    }
}

impl Encoder for SplunkHec {
    fn encode(&self, batch: &[Record], _ctx: &EncodeContext) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(batch.len() * 640);
        let sourcetype = match self.doc {
            Doc::Ocsf => "ocsf:api_activity",
            _ => "behavry:trace",
        };
        for (seq, event) in batch {
            let view = View::new(*seq, event)?;
            let fields = json!({
                "decision_id": view.decision_id,
                "event_id": view.event_id,
                "kind": view.kind,
                "action": view.action,
            });
            let mut hec = obj([
                ("time", Value::from(view.unix_millis() as f64 / 1000.0)),
                ("host", Value::from(self.options.hostname.as_str())),
                ("source", Value::from("behavry")),
                ("sourcetype", Value::from(sourcetype)),
                ("event", Value::Object(self.doc.build(&view))),
                ("fields", fields),
            ]);
            if let (Some(index), Some(map)) = (&self.options.index, hec.as_object_mut()) {
                map.insert("index".into(), Value::from(index.clone()));
            }
            serde_json::to_writer(&mut out, &hec).map_err(|e| EncodeError {
                seq: *seq,
                message: e.to_string(),
            })?;
            out.push(b'\n');
        }
        Ok(out)
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }
}
