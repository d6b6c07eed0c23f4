//! `behavry tools pending` (tool definitions withheld because they changed
//! or were flagged as poisoned, with their diffs) and `behavry tools
//! approve UPSTREAM TOOL` (make the pending definition the pinned one),
//! through the admin API.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum ToolsCommand {
    /// List tool definitions withheld until an operator approves them.
    Pending {
        /// Print the pins as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve the pending definition of a tool.
    Approve {
        upstream: String,
        /// The upstream's own tool name.
        tool: String,
        /// Approve only if the pending definition still has this hash.
        #[arg(long)]
        hash: Option<String>,
    },
}

pub async fn run(ctx: &super::Context, cmd: ToolsCommand) -> anyhow::Result<ExitCode> {
    let admin = ctx.admin()?;
    let mut stdout = std::io::stdout().lock();
    match cmd {
        ToolsCommand::Pending { json } => {
            let out = admin.get("/v1/tool-pins?status=changed").await?;
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&out["pins"])?)?;
            } else {
                write!(stdout, "{}", render_pending(&out))?;
            }
        }
        ToolsCommand::Approve {
            upstream,
            tool,
            hash,
        } => {
            let body = match hash {
                Some(h) => json!({ "hash": h }),
                None => json!({}),
            };
            let out = admin
                .post(
                    &format!(
                        "/v1/tool-pins/{}/{}/approve",
                        path_segment(&upstream),
                        path_segment(&tool)
                    ),
                    body,
                )
                .await?;
            let hash = out["pin"]["hash"].as_str().unwrap_or("");
            writeln!(stdout, "approved {upstream}.{tool} ({hash})")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn render_pending(out: &Value) -> String {
    let pins = out["pins"].as_array().cloned().unwrap_or_default();
    if pins.is_empty() {
        return "no tool definitions are waiting for approval\n".to_string();
    }
    let mut s = String::new();
    for entry in &pins {
        let pin = &entry["pin"];
        let _ = writeln!(
            s,
            "{}.{}  pending {}  ({})",
            pin["upstream"].as_str().unwrap_or("?"),
            pin["tool"].as_str().unwrap_or("?"),
            pin["pending_hash"].as_str().unwrap_or("-"),
            pin["reason"].as_str().unwrap_or("changed"),
        );
        for change in entry["diff"].as_array().into_iter().flatten() {
            let _ = writeln!(
                s,
                "    {} {}: {} -> {}",
                change["op"].as_str().unwrap_or("?"),
                change["path"].as_str().unwrap_or(""),
                short(&change["before"]),
                short(&change["after"]),
            );
        }
    }
    s
}

fn short(v: &Value) -> String {
    if v.is_null() {
        return "-".to_string();
    }
    let text = v.to_string();
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_pending_pins_with_their_diff() {
        let out = json!({"pins": [{
            "pin": {"upstream": "docs", "tool": "search", "pending_hash": "sha256:ab", "reason": "definition changed"},
            "diff": [{"path": "/description", "op": "changed", "before": "Search.", "after": "Search. <IMPORTANT>"}],
        }]});
        let text = render_pending(&out);
        assert!(text.starts_with("docs.search  pending sha256:ab  (definition changed)\n"));
        assert!(text.contains("changed /description: \"Search.\" -> \"Search. <IMPORTANT>\""));
        assert_eq!(
            render_pending(&json!({"pins": []})),
            "no tool definitions are waiting for approval\n"
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("get-env_1.x"), "get-env_1.x");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }
}
