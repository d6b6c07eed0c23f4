//! JSON Lines: one document per line (native, OCSF or ECS), for files and
//! plain HTTP receivers.

use super::{Doc, EncodeContext, Encoder};
use crate::record::{EncodeError, Record, View};

pub struct Lines {
    doc: Doc,
}

impl Lines {
    pub fn new(doc: Doc) -> Self {
        Lines { doc }
    }
}

impl Encoder for Lines {
    fn encode(&self, batch: &[Record], _ctx: &EncodeContext) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(batch.len() * 512);
        for (seq, event) in batch {
            let view = View::new(*seq, event)?;
            let doc = serde_json::Value::Object(self.doc.build(&view));
            serde_json::to_writer(&mut out, &doc).map_err(|e| EncodeError {
                seq: *seq,
                message: e.to_string(),
            })?;
            out.push(b'\n');
        }
        Ok(out)
    }

    fn content_type(&self) -> &'static str {
        "application/x-ndjson"
    }
}
