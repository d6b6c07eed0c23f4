//! Approval rules and the identity of a held call.
//!
//! A rule says who may decide an intercepted call and how: the role and
//! group of the approvers, how many distinct approvals are needed (N of M),
//! how long the request waits, what happens when nobody decides, and to
//! whom it escalates before it expires. Rules are matched on the qualified
//! tool name (`upstream.tool`) with `*` globs.
//!
//! The call hash binds an approval to one exact call: agent, upstream,
//! tool, canonical arguments and workflow. Equal calls have equal hashes
//! whatever the key order or spacing of their JSON.

use crate::AgentId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What happens to a request nobody decided before its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultOutcome {
    Deny,
    Approve,
}

/// The minimum operator role that may decide a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApproverRole {
    Approver,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRule {
    /// `default` for the rule that applies when no configured rule matches.
    pub name: String,
    /// Qualified tool globs (`database.*`); empty matches every tool.
    #[serde(default)]
    pub tools: Vec<String>,
    pub required_role: ApproverRole,
    /// When set, only operators in this group (or admins) may decide.
    #[serde(default)]
    pub approvers_group: Option<String>,
    /// Distinct approvals needed; one denial rejects.
    pub required_approvals: u32,
    pub timeout_secs: u64,
    pub default_outcome: DefaultOutcome,
    #[serde(default)]
    pub escalate_after_secs: Option<u64>,
    #[serde(default)]
    pub escalate_to: Option<String>,
}

impl ApprovalRule {
    /// The rule used when no configured rule matches: one approver, deny on
    /// timeout, no escalation.
    pub fn fallback(timeout_secs: u64) -> Self {
        ApprovalRule {
            name: "default".into(),
            tools: Vec::new(),
            required_role: ApproverRole::Approver,
            approvers_group: None,
            required_approvals: 1,
            timeout_secs,
            default_outcome: DefaultOutcome::Deny,
            escalate_after_secs: None,
            escalate_to: None,
        }
    }

    /// Whether this rule covers `upstream.tool`.
    pub fn matches(&self, qualified_tool: &str) -> bool {
        self.tools.is_empty() || self.tools.iter().any(|g| glob_match(g, qualified_tool))
    }
}

/// The first rule that covers the tool, or the fallback.
pub fn rule_for<'a>(
    rules: &'a [ApprovalRule],
    fallback: &'a ApprovalRule,
    qualified_tool: &str,
) -> &'a ApprovalRule {
    rules
        .iter()
        .find(|r| r.matches(qualified_tool))
        .unwrap_or(fallback)
}

/// `*` matches any run of characters (including none); everything else is
/// literal. Linear in practice for the short patterns used here.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == last {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

/// JSON with object keys sorted at every level and no insignificant
/// whitespace: the form hashed and matched by argument patterns.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String((*key).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 (hex) over agent, upstream, tool, canonical arguments and
/// workflow, length-prefixed so no two different calls collide by
/// concatenation.
pub fn call_hash(
    agent: &AgentId,
    upstream: &str,
    tool: &str,
    arguments: &serde_json::Value,
    workflow: Option<&str>,
) -> String {
    let mut hasher = Sha256::new();
    for part in [
        agent.0.as_str(),
        upstream,
        tool,
        &canonical_json(arguments),
        workflow.unwrap_or(""),
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn globs() {
        let cases = [
            ("database.*", "database.query", true),
            ("database.*", "databasex.query", false),
            ("*", "anything", true),
            ("*.delete_*", "files.delete_all", true),
            ("*.delete_*", "files.remove", false),
            ("email.send", "email.send", true),
            ("email.send", "email.sendx", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "acb", false),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(glob_match(pattern, text), want, "{pattern} vs {text}");
        }
    }

    #[test]
    fn rule_selection_takes_the_first_match() {
        let mut db = ApprovalRule::fallback(60);
        db.name = "db".into();
        db.tools = vec!["database.*".into()];
        let fallback = ApprovalRule::fallback(300);
        assert_eq!(
            rule_for(&[db.clone()], &fallback, "database.query").name,
            "db"
        );
        assert_eq!(rule_for(&[db], &fallback, "email.send").name, "default");
    }

    #[test]
    fn call_hash_ignores_key_order_but_not_values() {
        let agent = AgentId("a1".into());
        let one = json!({"sql": "select 1", "limit": {"n": 1, "m": 2}});
        let two: serde_json::Value =
            serde_json::from_str(r#"{ "limit": {"m":2,"n":1}, "sql":"select 1" }"#).unwrap();
        let h1 = call_hash(&agent, "db", "query", &one, None);
        assert_eq!(h1, call_hash(&agent, "db", "query", &two, None));
        assert_ne!(
            h1,
            call_hash(&agent, "db", "query", &json!({"sql": "select 2"}), None)
        );
        assert_ne!(
            h1,
            call_hash(&AgentId("a2".into()), "db", "query", &one, None)
        );
        assert_ne!(h1, call_hash(&agent, "db", "query", &one, Some("wf")));
        // Length prefixes: moving a character between fields changes the hash.
        assert_ne!(
            call_hash(&agent, "ab", "c", &json!(null), None),
            call_hash(&agent, "a", "bc", &json!(null), None)
        );
    }

    proptest! {
        #[test]
        fn glob_without_star_is_equality(p in "[a-z.]{0,8}", t in "[a-z.]{0,8}") {
            prop_assert_eq!(glob_match(&p, &t), p == t);
        }

        #[test]
        fn star_prefix_and_suffix(pre in "[a-z]{0,4}", mid in "[a-z.]{0,6}", suf in "[a-z]{0,4}") {
            let pattern = format!("{pre}*{suf}");
            let text = format!("{pre}{mid}{suf}");
            prop_assert!(glob_match(&pattern, &text));
        }

        #[test]
        fn canonical_json_round_trips(keys in proptest::collection::vec("[a-z]{1,4}", 0..6)) {
            let mut map = serde_json::Map::new();
            for (i, k) in keys.iter().enumerate() {
                map.insert(k.clone(), json!(i));
            }
            let value = serde_json::Value::Object(map);
            let text = canonical_json(&value);
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back, value);
        }
    }
}
