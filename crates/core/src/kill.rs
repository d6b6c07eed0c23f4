//! Kill switches: an operator's stop for everything, one agent, one
//! workflow, one upstream or one tool. Matching is pure so the gateway can
//! check the current set as a guard before policy on every call.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KillScope {
    Global,
    Agent,
    Workflow,
    Upstream,
    Tool,
}

impl KillScope {
    pub fn as_str(self) -> &'static str {
        match self {
            KillScope::Global => "global",
            KillScope::Agent => "agent",
            KillScope::Workflow => "workflow",
            KillScope::Upstream => "upstream",
            KillScope::Tool => "tool",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "global" => Some(KillScope::Global),
            "agent" => Some(KillScope::Agent),
            "workflow" => Some(KillScope::Workflow),
            "upstream" => Some(KillScope::Upstream),
            "tool" => Some(KillScope::Tool),
            _ => None,
        }
    }
}

/// An engaged kill switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillSwitch {
    pub id: String,
    pub scope: KillScope,
    /// Agent name, workflow id, upstream name or qualified tool glob
    /// (`upstream.tool`, `*` allowed); `None` for global.
    pub target: Option<String>,
    pub reason: String,
    pub engaged_by: String,
    /// RFC 3339.
    pub engaged_at: String,
}

/// What a kill switch is matched against.
#[derive(Debug, Clone, Copy)]
pub struct KillSubject<'a> {
    pub agent_name: &'a str,
    pub upstream: &'a str,
    pub tool: &'a str,
    pub workflow: Option<&'a str>,
}

impl KillSwitch {
    pub fn matches(&self, subject: &KillSubject<'_>) -> bool {
        let target = self.target.as_deref().unwrap_or("");
        match self.scope {
            KillScope::Global => true,
            KillScope::Agent => target == subject.agent_name,
            KillScope::Workflow => subject.workflow == Some(target),
            KillScope::Upstream => target == subject.upstream,
            KillScope::Tool => crate::approval::glob_match(
                target,
                &format!("{}.{}", subject.upstream, subject.tool),
            ),
        }
    }

    /// The guard message recorded when this switch stops a call.
    pub fn describe(&self) -> String {
        match &self.target {
            Some(t) => format!(
                "{} `{t}` stopped by {}: {}",
                self.scope.as_str(),
                self.engaged_by,
                self.reason
            ),
            None => format!("everything stopped by {}: {}", self.engaged_by, self.reason),
        }
    }
}

/// The first engaged switch that covers the subject, as a guard message.
pub fn kill_guard(switches: &[KillSwitch], subject: &KillSubject<'_>) -> Option<String> {
    switches
        .iter()
        .find(|s| s.matches(subject))
        .map(KillSwitch::describe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn switch(scope: KillScope, target: Option<&str>) -> KillSwitch {
        KillSwitch {
            id: "k".into(),
            scope,
            target: target.map(str::to_string),
            reason: "r".into(),
            engaged_by: "alice".into(),
            engaged_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn each_scope_matches_only_its_subjects() {
        let subject = KillSubject {
            agent_name: "analyst",
            upstream: "database",
            tool: "query",
            workflow: Some("wf-1"),
        };
        let cases = [
            (switch(KillScope::Global, None), true),
            (switch(KillScope::Agent, Some("analyst")), true),
            (switch(KillScope::Agent, Some("mailer")), false),
            (switch(KillScope::Workflow, Some("wf-1")), true),
            (switch(KillScope::Workflow, Some("wf-2")), false),
            (switch(KillScope::Upstream, Some("database")), true),
            (switch(KillScope::Upstream, Some("email")), false),
            (switch(KillScope::Tool, Some("database.query")), true),
            (switch(KillScope::Tool, Some("database.*")), true),
            (switch(KillScope::Tool, Some("database.drop")), false),
        ];
        for (s, want) in cases {
            assert_eq!(s.matches(&subject), want, "{s:?}");
        }
        let no_workflow = KillSubject {
            workflow: None,
            ..subject
        };
        assert!(!switch(KillScope::Workflow, Some("")).matches(&no_workflow));
    }

    #[test]
    fn guard_names_the_switch() {
        let subject = KillSubject {
            agent_name: "analyst",
            upstream: "database",
            tool: "query",
            workflow: None,
        };
        let switches = [
            switch(KillScope::Agent, Some("mailer")),
            switch(KillScope::Agent, Some("analyst")),
        ];
        let msg = kill_guard(&switches, &subject).unwrap();
        assert!(msg.contains("analyst") && msg.contains("alice"), "{msg}");
        assert_eq!(kill_guard(&switches[..1], &subject), None);
    }
}
