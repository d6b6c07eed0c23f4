//! Cross-agent flow rule: data classified sensitive that one agent of a
//! workflow read, followed by an outbound send by an agent of the same
//! workflow, raises an alert that intercepts (or denies) the send.
//!
//! What is sensitive and what is outbound is decided before this module
//! (scanning, policy labels, tool classification); it only remembers the
//! sensitive reads per workflow and answers for each outbound call. The
//! history per workflow is bounded: the most recent `MAX_READS` reads are
//! kept, and an alert needs only one of them.

use crate::ids::{AgentRef, WorkflowId};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// Sensitive reads remembered per workflow.
pub const MAX_READS: usize = 64;

/// What an alert does to the outbound call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowMode {
    /// Hold the send for a person's approval.
    #[default]
    Intercept,
    /// Refuse the send.
    Deny,
    /// Record reads, never alert.
    Off,
}

/// The rule's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowRule {
    #[serde(default)]
    pub mode: FlowMode,
    /// Alert also when the sender is the agent that read (not only another
    /// agent of the workflow).
    #[serde(default = "default_true")]
    pub same_agent: bool,
    /// Forget reads older than this many seconds; `None`: the whole workflow.
    #[serde(default)]
    pub window_secs: Option<u64>,
}

fn default_true() -> bool {
    true
}

impl Default for FlowRule {
    fn default() -> Self {
        FlowRule {
            mode: FlowMode::Intercept,
            same_agent: true,
            window_secs: None,
        }
    }
}

/// One sensitive read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensitiveRead {
    pub agent: AgentRef,
    /// The resource or tool that returned the data.
    pub resource: String,
    /// Why it was sensitive (a classification label).
    pub label: String,
    /// Unix seconds.
    pub at: u64,
    /// The decision that allowed the read, for the trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<String>,
}

/// An outbound send after a sensitive read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowAlert {
    /// `intercept` or `deny`.
    pub mode: FlowMode,
    /// The read that triggers it (the most recent qualifying one).
    pub read: SensitiveRead,
    /// The read was made by another agent than the sender.
    pub cross_agent: bool,
}

impl FlowAlert {
    /// Stable machine-readable reason code.
    pub fn code(&self) -> &'static str {
        "workflow_sensitive_flow"
    }
}

impl FlowRule {
    /// Does an outbound send by `sender` at `now` follow a qualifying read?
    pub fn evaluate<'a, I>(&self, reads: I, sender: &AgentRef, now: u64) -> Option<FlowAlert>
    where
        I: IntoIterator<Item = &'a SensitiveRead>,
        I::IntoIter: DoubleEndedIterator,
    {
        if self.mode == FlowMode::Off {
            return None;
        }
        let oldest = self.window_secs.map_or(0, |w| now.saturating_sub(w));
        let read = reads.into_iter().rev().find(|read| {
            read.at >= oldest && read.at <= now && (self.same_agent || &read.agent != sender)
        })?;
        Some(FlowAlert {
            mode: self.mode,
            cross_agent: &read.agent != sender,
            read: read.clone(),
        })
    }
}

/// Sensitive reads per workflow, in process memory.
#[derive(Debug, Default)]
pub struct FlowTracker {
    reads: Mutex<HashMap<WorkflowId, VecDeque<SensitiveRead>>>,
}

impl FlowTracker {
    pub fn new() -> Self {
        FlowTracker::default()
    }

    /// Remember a sensitive read.
    pub fn record_read(&self, workflow: &WorkflowId, read: SensitiveRead) {
        let mut reads = self.reads.lock().unwrap_or_else(PoisonError::into_inner);
        let history = reads.entry(workflow.clone()).or_default();
        if history.len() >= MAX_READS {
            history.pop_front();
        }
        history.push_back(read);
    }

    /// The reads remembered for a workflow, oldest first.
    pub fn reads(&self, workflow: &WorkflowId) -> Vec<SensitiveRead> {
        let reads = self.reads.lock().unwrap_or_else(PoisonError::into_inner);
        reads
            .get(workflow)
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Check an outbound send against the rule.
    pub fn check_outbound(
        &self,
        rule: &FlowRule,
        workflow: &WorkflowId,
        sender: &AgentRef,
        now: u64,
    ) -> Option<FlowAlert> {
        let reads = self.reads.lock().unwrap_or_else(PoisonError::into_inner);
        let history = reads.get(workflow)?;
        rule.evaluate(history.iter(), sender, now)
    }

    /// Forget a workflow.
    pub fn forget(&self, workflow: &WorkflowId) {
        let mut reads = self.reads.lock().unwrap_or_else(PoisonError::into_inner);
        reads.remove(workflow);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str) -> AgentRef {
        AgentRef::parse(id).unwrap()
    }

    fn read(by: &str, at: u64) -> SensitiveRead {
        SensitiveRead {
            agent: agent(by),
            resource: "database.query".into(),
            label: "pii".into(),
            at,
            decision_id: None,
        }
    }

    #[test]
    fn cross_agent_send_after_sensitive_read_alerts() {
        let tracker = FlowTracker::new();
        let wf = WorkflowId::parse("wf_1").unwrap();
        let other = WorkflowId::parse("wf_2").unwrap();
        let rule = FlowRule::default();
        assert_eq!(
            tracker.check_outbound(&rule, &wf, &agent("mailer"), 10),
            None
        );
        tracker.record_read(&wf, read("researcher", 5));
        let alert = tracker
            .check_outbound(&rule, &wf, &agent("mailer"), 10)
            .unwrap();
        assert_eq!(alert.mode, FlowMode::Intercept);
        assert!(alert.cross_agent);
        assert_eq!(alert.read.agent, agent("researcher"));
        // Another workflow is unaffected.
        assert_eq!(
            tracker.check_outbound(&rule, &other, &agent("mailer"), 10),
            None
        );
    }

    type Case<'a> = (FlowRule, &'a str, u64, Option<(FlowMode, bool)>);

    #[test]
    fn rule_settings_table() {
        let reads = [read("researcher", 100)];
        let cases: &[Case<'_>] = &[
            (
                FlowRule::default(),
                "mailer",
                200,
                Some((FlowMode::Intercept, true)),
            ),
            (
                FlowRule::default(),
                "researcher",
                200,
                Some((FlowMode::Intercept, false)),
            ),
            (
                FlowRule {
                    same_agent: false,
                    ..FlowRule::default()
                },
                "researcher",
                200,
                None,
            ),
            (
                FlowRule {
                    mode: FlowMode::Deny,
                    ..FlowRule::default()
                },
                "mailer",
                200,
                Some((FlowMode::Deny, true)),
            ),
            (
                FlowRule {
                    mode: FlowMode::Off,
                    ..FlowRule::default()
                },
                "mailer",
                200,
                None,
            ),
            (
                FlowRule {
                    window_secs: Some(50),
                    ..FlowRule::default()
                },
                "mailer",
                200,
                None,
            ),
            (
                FlowRule {
                    window_secs: Some(150),
                    ..FlowRule::default()
                },
                "mailer",
                200,
                Some((FlowMode::Intercept, true)),
            ),
            // A read recorded after the send's time does not precede it.
            (FlowRule::default(), "mailer", 50, None),
        ];
        for (rule, sender, now, expected) in cases {
            let got = rule
                .evaluate(reads.iter(), &agent(sender), *now)
                .map(|a| (a.mode, a.cross_agent));
            assert_eq!(got, *expected, "{rule:?} {sender} {now}");
        }
    }

    #[test]
    fn history_is_bounded() {
        let tracker = FlowTracker::new();
        let wf = WorkflowId::parse("wf_1").unwrap();
        for i in 0..(MAX_READS as u64 + 10) {
            tracker.record_read(&wf, read("a", i));
        }
        let reads = tracker.reads(&wf);
        assert_eq!(reads.len(), MAX_READS);
        assert_eq!(reads[0].at, 10);
        tracker.forget(&wf);
        assert!(tracker.reads(&wf).is_empty());
    }

    #[test]
    fn rule_config_parses() {
        let rule: FlowRule = serde_json::from_str(r#"{"mode":"deny","same_agent":false}"#).unwrap();
        assert_eq!(rule.mode, FlowMode::Deny);
        assert!(!rule.same_agent);
        assert!(serde_json::from_str::<FlowRule>(r#"{"mode":"maybe"}"#).is_err());
    }
}
