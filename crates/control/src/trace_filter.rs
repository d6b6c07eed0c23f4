//! The filter the console applies to the Decision Trace (live stream and
//! search): agent name, tool (`tool` or `upstream.tool`), upstream, verdict
//! and free text over the tool, agent and reasons. Every field is optional
//! and all given fields must match. Only decision events are matched.

use behavry_core::{TraceEvent, TraceEventKind};
use serde::Deserialize;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct TraceFilter {
    pub agent: Option<String>,
    pub tool: Option<String>,
    pub upstream: Option<String>,
    /// `allow`, `deny` or `intercept`.
    pub verdict: Option<String>,
    /// Case-insensitive substring of tool, agent or a reason.
    pub q: Option<String>,
}

impl TraceFilter {
    pub fn is_empty(&self) -> bool {
        [
            &self.agent,
            &self.tool,
            &self.upstream,
            &self.verdict,
            &self.q,
        ]
        .iter()
        .all(|f| f.as_deref().is_none_or(str::is_empty))
    }

    pub fn matches(&self, event: &TraceEvent) -> bool {
        let TraceEventKind::Decision {
            agent,
            upstream,
            tool,
            verdict,
            reasons,
            ..
        } = &event.event
        else {
            return false;
        };
        if given(&self.agent).is_some_and(|a| a != agent.name) {
            return false;
        }
        if given(&self.upstream).is_some_and(|u| u != upstream) {
            return false;
        }
        if given(&self.tool).is_some_and(|t| t != tool && *t != format!("{upstream}.{tool}")) {
            return false;
        }
        if given(&self.verdict).is_some_and(|v| v != verdict.as_str()) {
            return false;
        }
        if let Some(q) = given(&self.q) {
            let q = q.to_lowercase();
            let hit = tool.to_lowercase().contains(&q)
                || agent.name.to_lowercase().contains(&q)
                || reasons
                    .iter()
                    .any(|r| r.message.to_lowercase().contains(&q));
            if !hit {
                return false;
            }
        }
        true
    }
}

fn given(f: &Option<String>) -> Option<&str> {
    f.as_deref().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use behavry_core::{AgentId, AgentIdentity, CallKind, DecisionId, Reason, Verdict};

    fn decision(agent: &str, tool: &str, verdict: Verdict, reason: &str) -> TraceEvent {
        TraceEvent {
            decision_id: DecisionId("d".into()),
            time: time::OffsetDateTime::UNIX_EPOCH,
            event: TraceEventKind::Decision {
                agent: AgentIdentity {
                    id: AgentId("a".into()),
                    name: agent.into(),
                    role: "r".into(),
                    labels: Default::default(),
                    owner: None,
                },
                method: CallKind::ToolsCall,
                upstream: "db".into(),
                tool: tool.into(),
                arguments: serde_json::json!({}),
                verdict,
                reasons: vec![Reason::policy(reason)],
                policy_revision: "r1".into(),
                eval_micros: 1,
                session_id: None,
                approval_id: None,
                risk: None,
                scan: None,
                workflow: None,
            },
        }
    }

    #[test]
    fn filters_combine() {
        let e = decision("analyst-1", "query", Verdict::Deny, "Writes need approval");
        let f = |agent: Option<&str>,
                 tool: Option<&str>,
                 verdict: Option<&str>,
                 q: Option<&str>| TraceFilter {
            agent: agent.map(Into::into),
            tool: tool.map(Into::into),
            upstream: None,
            verdict: verdict.map(Into::into),
            q: q.map(Into::into),
        };
        let cases = [
            (f(None, None, None, None), true),
            (f(Some("analyst-1"), None, None, None), true),
            (f(Some("analyst-2"), None, None, None), false),
            (f(None, Some("query"), None, None), true),
            (f(None, Some("db.query"), None, None), true),
            (f(None, Some("other.query"), None, None), false),
            (f(None, None, Some("deny"), None), true),
            (f(None, None, Some("allow"), None), false),
            (f(None, None, None, Some("APPROVAL")), true),
            (f(None, None, None, Some("nothing")), false),
            (
                f(Some("analyst-1"), Some("query"), Some("allow"), None),
                false,
            ),
            (f(Some(""), Some(""), None, None), true),
        ];
        for (filter, expected) in cases {
            assert_eq!(filter.matches(&e), expected, "{filter:?}");
        }
        assert!(f(None, None, None, None).is_empty());
        assert!(!f(Some("x"), None, None, None).is_empty());
    }
}
