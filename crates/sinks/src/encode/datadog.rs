//! Datadog logs intake (`/api/v2/logs`): a JSON array of log objects with
//! the reserved attributes (`ddsource`, `service`, `hostname`, `status`,
//! `message`, `date`) and the record under `behavry`.

use super::{Doc, EncodeContext, Encoder, EncoderOptions};
use crate::record::{EncodeError, Record, Severity, View};
use serde_json::{json, Value};

pub struct Datadog {
    doc: Doc,
    options: EncoderOptions,
}

impl Datadog {
    pub fn new(doc: Doc, options: EncoderOptions) -> Self {
        Datadog { doc, options }
    }
}

fn status(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Notice => "notice",
        Severity::Warning => "warn",
        Severity::Error => "error",
    }
}

impl Encoder for Datadog {
    fn encode(&self, batch: &[Record], _ctx: &EncodeContext) -> Result<Vec<u8>, EncodeError> {
        let mut logs = Vec::with_capacity(batch.len());
        let key = match self.doc {
            Doc::Ocsf => "ocsf",
            _ => "behavry",
        };
        for (seq, event) in batch {
            let view = View::new(*seq, event)?;
            let mut log = json!({
                "ddsource": "behavry",
                "ddtags": format!("kind:{},action:{}", view.kind, view.action),
                "service": "behavry",
                "hostname": self.options.hostname,
                "status": status(view.severity),
                "message": view.summary,
                "date": view.time_rfc3339,
                "event_id": view.event_id,
                "decision_id": view.decision_id,
            });
            if let Some(obj) = log.as_object_mut() {
                obj.insert(key.into(), Value::Object(self.doc.build(&view)));
            }
            logs.push(log);
        }
        serde_json::to_vec(&logs).map_err(|e| EncodeError {
            seq: batch.first().map(|(s, _)| *s).unwrap_or(0),
            message: e.to_string(),
        })
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }
}
