//! ArcSight Common Event Format: `CEF:0|vendor|product|version|class|name|severity|extension`.
//! Header fields escape `\` and `|`; extension values escape `\`, `=` and
//! line breaks, so one record is always one line.

use super::{field, text, EncodeContext, Encoder};
use crate::record::{EncodeError, Record, View, PRODUCT, PRODUCT_VERSION};
use std::fmt::Write as _;

pub struct CefLines;

impl Encoder for CefLines {
    fn encode(&self, batch: &[Record], _ctx: &EncodeContext) -> Result<Vec<u8>, EncodeError> {
        let mut out = String::with_capacity(batch.len() * 400);
        for (seq, event) in batch {
            let view = View::new(*seq, event)?;
            out.push_str(&cef_line(&view));
            out.push('\n');
        }
        Ok(out.into_bytes())
    }

    fn content_type(&self) -> &'static str {
        "text/plain; charset=utf-8"
    }
}

/// One record as a CEF line (without a line break).
pub fn cef_line(view: &View) -> String {
    let doc = &view.doc;
    let mut line = String::with_capacity(400);
    let class = format!("{}.{}", view.kind, view.action);
    let _ = write!(
        line,
        "CEF:0|{}|{}|{}|{}|{}|{}|",
        header(PRODUCT),
        header(PRODUCT),
        header(PRODUCT_VERSION),
        header(&class),
        header(&view.summary),
        view.severity.cef()
    );
    let mut ext: Vec<(&str, String)> = vec![
        ("rt", view.unix_millis().to_string()),
        ("externalId", view.event_id.clone()),
        ("cat", view.kind.clone()),
        ("act", view.action.clone()),
        ("cs1Label", "decisionId".into()),
        ("cs1", view.decision_id.clone()),
        ("cn1Label", "seq".into()),
        ("cn1", view.seq.to_string()),
    ];
    let optional = [
        ("suser", text(doc, &["agent", "name"])),
        ("suid", text(doc, &["agent", "id"])),
        ("spriv", text(doc, &["agent", "role"])),
        ("cs2", text(doc, &["upstream"])),
        ("cs3", text(doc, &["tool"])),
        ("cs4", text(doc, &["policy_revision"])),
        ("duser", text(doc, &["operator"])),
        ("outcome", text(doc, &["status"])),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            match key {
                "cs2" => ext.push(("cs2Label", "upstream".into())),
                "cs3" => ext.push(("cs3Label", "tool".into())),
                "cs4" => ext.push(("cs4Label", "policyRevision".into())),
                _ => {}
            }
            ext.push((key, v.to_string()));
        }
    }
    let reason = field(doc, &["reasons"])
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("message"))
        .and_then(serde_json::Value::as_str)
        .or_else(|| text(doc, &["reason"]))
        .or_else(|| text(doc, &["error"]));
    if let Some(reason) = reason {
        ext.push(("reason", reason.to_string()));
    }
    for (i, (key, value)) in ext.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(key);
        line.push('=');
        extension_value(&mut line, value);
    }
    line
}

fn header(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn extension_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_one_line_and_fields_apart() {
        assert_eq!(header("a|b\\c\nd"), "a\\|b\\\\c d");
        let mut v = String::new();
        extension_value(&mut v, "x=1\ny\\z|");
        assert_eq!(v, "x\\=1\\ny\\\\z|");
    }
}
