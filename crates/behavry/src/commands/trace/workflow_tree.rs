//! `behavry trace workflow ID`: a workflow's decisions as a tree, for
//! people (indented, one decision per line) or as JSON.

use serde_json::Value;
use std::fmt::Write;

/// The text tree of `GET /v1/workflows/{id}`'s answer.
pub fn render(out: &Value) -> String {
    let mut text = String::new();
    let w = &out["workflow"];
    let _ = writeln!(
        text,
        "workflow {}  \"{}\"  started by {}  expires {}",
        w["id"].as_str().unwrap_or("?"),
        w["purpose"].as_str().unwrap_or(""),
        w["started_by"].as_str().unwrap_or("?"),
        w["expires_at"].as_str().unwrap_or("?"),
    );
    if let Some(budgets) = out["ledger"]["budgets"].as_object() {
        let used: Vec<String> = budgets
            .iter()
            .filter(|(_, v)| v["used"].as_u64().unwrap_or(0) > 0 || !v["limit"].is_null())
            .map(|(k, v)| match v["limit"].as_u64() {
                Some(limit) => format!("{k} {}/{limit}", v["used"]),
                None => format!("{k} {}", v["used"]),
            })
            .collect();
        if !used.is_empty() {
            let _ = writeln!(text, "budgets  {}", used.join(", "));
        }
    }
    let decisions = out["decisions"].as_array().cloned().unwrap_or_default();
    if decisions.is_empty() {
        let _ = writeln!(text, "(no decisions recorded)");
    }
    for d in &decisions {
        node(&mut text, d, 0);
    }
    if out["truncated"].as_bool() == Some(true) {
        let _ = writeln!(
            text,
            "(trace read truncated: older or later decisions may be missing)"
        );
    }
    text
}

fn node(text: &mut String, d: &Value, level: usize) {
    let reasons: Vec<&str> = d["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let outcome = d["outcome"]
        .as_str()
        .map(|o| format!(" → {o}"))
        .unwrap_or_default();
    let _ = writeln!(
        text,
        "{}{} {} {} [{}] depth {}{}  {}{}",
        "  ".repeat(level),
        if level == 0 { "●" } else { "└" },
        d["agent"].as_str().unwrap_or("?"),
        d["tool"].as_str().unwrap_or("?"),
        d["verdict"].as_str().unwrap_or("?"),
        d["depth"],
        outcome,
        d["decision_id"].as_str().unwrap_or("?"),
        if reasons.is_empty() {
            String::new()
        } else {
            format!("\n{}    {}", "  ".repeat(level), reasons.join("; "))
        },
    );
    for child in d["children"].as_array().into_iter().flatten() {
        node(text, child, level + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn children_are_indented_under_their_parent() {
        let out = json!({
            "workflow": {"id": "wf_1", "purpose": "report", "started_by": "orchestrator", "expires_at": "2026-11-26T10:00:00Z"},
            "ledger": {"budgets": {"calls": {"used": 2, "limit": 5}, "writes": {"used": 0, "limit": null}}},
            "decisions": [{"decision_id": "a", "agent": "orchestrator", "tool": "database.query", "verdict": "allow", "depth": 0, "outcome": "completed", "reasons": [],
                "children": [{"decision_id": "b", "agent": "mailer", "tool": "email.send", "verdict": "intercept", "depth": 1,
                    "reasons": ["workflow_sensitive_flow: outbound send"], "children": []}]}],
        });
        let text = render(&out);
        assert!(text.contains("budgets  calls 2/5"), "{text}");
        assert!(!text.contains("writes"), "{text}");
        assert!(
            text.contains("● orchestrator database.query [allow] depth 0 → completed  a"),
            "{text}"
        );
        assert!(
            text.contains(
                "  └ mailer email.send [intercept] depth 1  b\n      workflow_sensitive_flow"
            ),
            "{text}"
        );
    }
}
