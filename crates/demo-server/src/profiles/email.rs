//! The `email` profile: `send` appends a message to `<data-dir>/outbox.jsonl`
//! and `list_outbox` reads it back. Nothing leaves the machine.
//!
//! Invariants: appends are serialised by a lock so lines never interleave;
//! each line is one complete JSON object; recipients must look like a single
//! mail address.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::{required_str, unknown_tool, ToolOutput};
use crate::rpc::RpcError;

const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct Email {
    outbox: PathBuf,
    append_lock: Mutex<()>,
}

impl Email {
    pub fn open(data_dir: &Path) -> Self {
        Self {
            outbox: data_dir.join("outbox.jsonl"),
            append_lock: Mutex::new(()),
        }
    }

    pub async fn call(
        &self,
        name: &str,
        arguments: &Map<String, Value>,
    ) -> Result<ToolOutput, RpcError> {
        match name {
            "send" => {
                let to = required_str(arguments, "to")?;
                let subject = required_str(arguments, "subject")?;
                let body = required_str(arguments, "body")?;
                Ok(self.send(to, subject, body).await)
            }
            "list_outbox" => Ok(self.list_outbox().await),
            other => Err(unknown_tool(other)),
        }
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> ToolOutput {
        if !is_plausible_address(to) {
            return ToolOutput::error(format!("invalid recipient address: {to}"));
        }
        if body.len() > MAX_BODY_BYTES {
            return ToolOutput::error(format!("body is larger than {MAX_BODY_BYTES} bytes"));
        }
        let id = format!("msg-{}", uuid::Uuid::new_v4());
        let sent_at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let message =
            json!({ "id": id, "to": to, "subject": subject, "body": body, "sent_at": sent_at });
        let mut line = message.to_string();
        line.push('\n');
        let _guard = self.append_lock.lock().await;
        let appended = async {
            let mut file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.outbox)
                .await?;
            file.write_all(line.as_bytes()).await?;
            file.flush().await
        }
        .await;
        match appended {
            Ok(()) => ToolOutput::structured(json!({ "message_id": id, "status": "queued" })),
            Err(error) => ToolOutput::error(format!("cannot write the outbox: {error}")),
        }
    }

    async fn list_outbox(&self) -> ToolOutput {
        let text = match tokio::fs::read_to_string(&self.outbox).await {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return ToolOutput::error(format!("cannot read the outbox: {error}")),
        };
        let messages: Vec<Value> = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let count = messages.len();
        ToolOutput::structured(json!({ "messages": messages, "count": count }))
    }
}

/// One address: `local@domain.tld`, no whitespace, no list separators.
pub fn is_plausible_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | ';' | '<' | '>'))
        && !domain.contains('@')
}

pub fn tool_definitions() -> Value {
    json!([
        {
            "name": "send",
            "title": "Send email",
            "description": "Send an email to one recipient. The message is queued in the outbox and its id returned.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "to": { "type": "string", "description": "Recipient address, e.g. someone@example.com." },
                    "subject": { "type": "string", "description": "Subject line." },
                    "body": { "type": "string", "description": "Plain-text body." }
                },
                "required": ["to", "subject", "body"],
                "additionalProperties": false
            },
            "annotations": { "openWorldHint": true }
        },
        {
            "name": "list_outbox",
            "title": "List outbox",
            "description": "List the messages sent so far, oldest first.",
            "inputSchema": { "type": "object", "properties": {}, "additionalProperties": false },
            "annotations": { "readOnlyHint": true }
        }
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_check_accepts_single_addresses_only() {
        for good in ["a@example.com", "first.last+tag@mail.example.org"] {
            assert!(is_plausible_address(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@example.com",
            "a@.com",
            "a@example.com,b@example.com",
            "a b@example.com",
            "a@b@example.com",
        ] {
            assert!(!is_plausible_address(bad), "{bad}");
        }
    }
}
