//! RFC 5424 syslog messages, framed for a stream (RFC 6587 octet counting:
//! `LEN SP MSG`) or for a file (one message per line).
//!
//! `<PRI>1 TIMESTAMP HOSTNAME behavry - MSGID [behavry@32473 ...] MSG`:
//! facility 13 (log audit), severity from the record, MSGID the event kind,
//! structured data with the ids receivers de-duplicate on, and MSG either the
//! native JSON record (UTF-8, with BOM) or a CEF line. 32473 is the private
//! enterprise number reserved for documentation (RFC 5612).

use super::cef::cef_line;
use super::{text, EncodeContext, Encoder, EncoderOptions};
use crate::record::{EncodeError, Record, View};
use time::macros::format_description;
use time::OffsetDateTime;

const FACILITY_LOG_AUDIT: u8 = 13;
const SD_ID: &str = "behavry@32473";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// RFC 6587 octet counting, for TCP and TLS transports.
    OctetCounting,
    /// One message per line, for files.
    Newline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    Native,
    Cef,
}

pub struct Syslog5424 {
    payload: Payload,
    framing: Framing,
    hostname: String,
}

impl Syslog5424 {
    pub fn new(payload: Payload, framing: Framing, options: EncoderOptions) -> Self {
        let hostname = sanitize(&options.hostname, 255);
        Syslog5424 {
            payload,
            framing,
            hostname,
        }
    }

    fn message(&self, view: &View, event_time: OffsetDateTime) -> Result<String, EncodeError> {
        let pri = FACILITY_LOG_AUDIT * 8 + view.severity.syslog();
        let timestamp = event_time
            .to_offset(time::UtcOffset::UTC)
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ))
            .map_err(|e| EncodeError {
                seq: view.seq,
                message: e.to_string(),
            })?;
        let msgid = sanitize(&view.kind, 32);
        let mut msg = format!("<{pri}>1 {timestamp} {} behavry - {msgid} ", self.hostname);
        msg.push('[');
        msg.push_str(SD_ID);
        let params = [
            ("seq", Some(view.seq.to_string())),
            ("event_id", Some(view.event_id.clone())),
            ("decision_id", Some(view.decision_id.clone())),
            ("action", Some(view.action.clone())),
            (
                "agent",
                text(&view.doc, &["agent", "name"]).map(str::to_string),
            ),
            (
                "upstream",
                text(&view.doc, &["upstream"]).map(str::to_string),
            ),
            ("tool", text(&view.doc, &["tool"]).map(str::to_string)),
        ];
        for (name, value) in params {
            if let Some(value) = value {
                msg.push(' ');
                msg.push_str(name);
                msg.push_str("=\"");
                sd_value(&mut msg, &value);
                msg.push('"');
            }
        }
        msg.push_str("] ");
        match self.payload {
            Payload::Native => {
                msg.push('\u{FEFF}');
                msg.push_str(&view.doc_json());
            }
            Payload::Cef => msg.push_str(&cef_line(view)),
        }
        Ok(msg)
    }
}

impl Encoder for Syslog5424 {
    fn encode(&self, batch: &[Record], _ctx: &EncodeContext) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(batch.len() * 700);
        for (seq, event) in batch {
            let view = View::new(*seq, event)?;
            let msg = self.message(&view, event.time)?;
            match self.framing {
                Framing::OctetCounting => {
                    out.extend_from_slice(msg.len().to_string().as_bytes());
                    out.push(b' ');
                    out.extend_from_slice(msg.as_bytes());
                }
                Framing::Newline => {
                    // The JSON and CEF payloads never hold a raw line break.
                    out.extend_from_slice(msg.as_bytes());
                    out.push(b'\n');
                }
            }
        }
        Ok(out)
    }

    fn content_type(&self) -> &'static str {
        "text/plain; charset=utf-8"
    }
}

/// Printable US-ASCII without spaces, at most `max` characters; `-` if empty.
fn sanitize(value: &str, max: usize) -> String {
    let cleaned: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if cleaned.is_empty() {
        "-".to_string()
    } else {
        cleaned
    }
}

/// PARAM-VALUE escaping: `"`, `\` and `]` are escaped with a backslash;
/// control characters (line breaks above all) become spaces so a message
/// stays on one line. The exact value is in the JSON payload.
fn sd_value(out: &mut String, value: &str) {
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_sanitized_and_sd_values_escaped() {
        assert_eq!(sanitize("", 10), "-");
        assert_eq!(sanitize("my host\u{e9}", 10), "myhost");
        assert_eq!(sanitize("abcdef", 3), "abc");
        let mut v = String::new();
        sd_value(&mut v, r#"a"b\c]d"#);
        assert_eq!(v, r#"a\"b\\c\]d"#);
    }
}
