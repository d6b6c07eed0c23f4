//! `[workflows]`: multi-agent workflows (`behavry-workflow`, docs/workflows.md).
//!
//! Validated without I/O. The root signing key is a secret reference
//! (`${env:NAME}`) resolved at start-up; without one, the gateway keeps
//! its key in the data directory. Which tools read sensitive data or send
//! data out is `[risk]`'s classification, shared by both features; the
//! tools that write are listed here.

use crate::risk::valid_tool_pattern;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkflows {
    pub enabled: Option<bool>,
    pub root_key: Option<String>,
    pub max_depth: Option<u32>,
    pub default_ttl_secs: Option<u64>,
    pub max_ttl_secs: Option<u64>,
    pub default_fanout: Option<u32>,
    pub max_fanout: Option<u32>,
    pub max_agents: Option<u32>,
    #[serde(default)]
    pub write_tools: Vec<String>,
    pub flow_mode: Option<String>,
    pub flow_same_agent: Option<bool>,
    pub flow_window_secs: Option<u64>,
    pub require_token: Option<bool>,
}

/// What the flow rule does on an outbound send after a sensitive read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowModeSetting {
    Intercept,
    Deny,
    Off,
}

/// The validated `[workflows]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowSettings {
    /// Accept workflow tokens and starts at all. When off, a call that
    /// carries a workflow token is denied (never silently ignored).
    pub enabled: bool,
    /// Secret reference of the root key (`ed25519-private/<hex>`); `None`:
    /// `<data_dir>/workflow-root.key`.
    pub root_key: Option<String>,
    /// Deployment depth limit (delegations after the root and call lineage).
    pub max_depth: u32,
    pub default_ttl_secs: u64,
    pub max_ttl_secs: u64,
    pub default_fanout: u32,
    pub max_fanout: u32,
    /// Distinct agents per workflow; `None`: unlimited.
    pub max_agents: Option<u32>,
    /// Qualified tool patterns whose calls write (the `write` scope flag).
    pub write_tools: Vec<String>,
    pub flow_mode: FlowModeSetting,
    pub flow_same_agent: bool,
    pub flow_window_secs: Option<u64>,
    /// Deny calls that carry no workflow token (every call must belong to
    /// a workflow).
    pub require_token: bool,
}

/// Hard ceiling of the depth limit (the token format's own).
pub const MAX_DEPTH_CEILING: u32 = 8;

impl Default for WorkflowSettings {
    fn default() -> Self {
        WorkflowSettings {
            enabled: true,
            root_key: None,
            max_depth: 3,
            default_ttl_secs: 3_600,
            max_ttl_secs: 7 * 86_400,
            default_fanout: 8,
            max_fanout: 64,
            max_agents: None,
            write_tools: Vec::new(),
            flow_mode: FlowModeSetting::Intercept,
            flow_same_agent: true,
            flow_window_secs: None,
            require_token: false,
        }
    }
}

pub(crate) fn validate_workflows(
    problems: &mut Vec<String>,
    raw: RawWorkflows,
) -> WorkflowSettings {
    let d = WorkflowSettings::default();
    for (i, p) in raw.write_tools.iter().enumerate() {
        if !valid_tool_pattern(p) {
            problems.push(format!(
                "workflows.write_tools[{i}] must be a qualified tool pattern like `files.write` (no spaces), got {p:?}"
            ));
        }
    }
    if let Some(key) = &raw.root_key {
        if !key.starts_with("${env:") {
            problems.push(
                "workflows.root_key must be a secret reference like ${env:BEHAVRY_WORKFLOW_ROOT_KEY}, never the key itself".into(),
            );
        }
    }
    let max_depth = raw.max_depth.unwrap_or(d.max_depth);
    if max_depth > MAX_DEPTH_CEILING {
        problems.push(format!(
            "workflows.max_depth must be at most {MAX_DEPTH_CEILING}, got {max_depth}"
        ));
    }
    let max_ttl_secs = raw.max_ttl_secs.unwrap_or(d.max_ttl_secs);
    let default_ttl_secs = raw.default_ttl_secs.unwrap_or(d.default_ttl_secs);
    if max_ttl_secs == 0 || max_ttl_secs > 30 * 86_400 {
        problems.push(format!(
            "workflows.max_ttl_secs must be between 1 and 2592000 (30 days), got {max_ttl_secs}"
        ));
    }
    if default_ttl_secs == 0 || default_ttl_secs > max_ttl_secs {
        problems.push(format!(
            "workflows.default_ttl_secs must be between 1 and max_ttl_secs ({max_ttl_secs}), got {default_ttl_secs}"
        ));
    }
    let max_fanout = raw.max_fanout.unwrap_or(d.max_fanout);
    let default_fanout = raw.default_fanout.unwrap_or(d.default_fanout);
    if max_fanout == 0 || max_fanout > 1_024 {
        problems.push(format!(
            "workflows.max_fanout must be between 1 and 1024, got {max_fanout}"
        ));
    }
    if default_fanout == 0 || default_fanout > max_fanout {
        problems.push(format!(
            "workflows.default_fanout must be between 1 and max_fanout ({max_fanout}), got {default_fanout}"
        ));
    }
    if raw.max_agents == Some(0) {
        problems.push("workflows.max_agents must be at least 1 when set".into());
    }
    let flow_mode = match raw.flow_mode.as_deref() {
        None => d.flow_mode,
        Some("intercept") => FlowModeSetting::Intercept,
        Some("deny") => FlowModeSetting::Deny,
        Some("off") => FlowModeSetting::Off,
        Some(other) => {
            problems.push(format!(
                "workflows.flow_mode must be one of intercept, deny, off; got {other:?}"
            ));
            d.flow_mode
        }
    };
    if raw.flow_window_secs == Some(0) {
        problems.push("workflows.flow_window_secs must be at least 1 when set".into());
    }
    WorkflowSettings {
        enabled: raw.enabled.unwrap_or(d.enabled),
        root_key: raw.root_key,
        max_depth,
        default_ttl_secs,
        max_ttl_secs,
        default_fanout,
        max_fanout,
        max_agents: raw.max_agents,
        write_tools: raw.write_tools,
        flow_mode,
        flow_same_agent: raw.flow_same_agent.unwrap_or(d.flow_same_agent),
        flow_window_secs: raw.flow_window_secs,
        require_token: raw.require_token.unwrap_or(d.require_token),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(toml_text: &str) -> (WorkflowSettings, Vec<String>) {
        let raw: RawWorkflows = toml::from_str(toml_text).unwrap();
        let mut problems = Vec::new();
        let settings = validate_workflows(&mut problems, raw);
        (settings, problems)
    }

    #[test]
    fn defaults() {
        let (s, problems) = check("");
        assert!(problems.is_empty());
        assert_eq!(s, WorkflowSettings::default());
    }

    #[test]
    fn each_bad_value_is_reported() {
        for (text, needle) in [
            ("max_depth = 9", "max_depth"),
            ("root_key = \"ed25519-private/00\"", "secret reference"),
            ("max_ttl_secs = 0", "max_ttl_secs"),
            (
                "default_ttl_secs = 100\nmax_ttl_secs = 50",
                "default_ttl_secs",
            ),
            ("max_fanout = 0", "max_fanout"),
            ("default_fanout = 9\nmax_fanout = 8", "default_fanout"),
            ("max_agents = 0", "max_agents"),
            ("flow_mode = \"block\"", "flow_mode"),
            ("flow_window_secs = 0", "flow_window_secs"),
            ("write_tools = [\"files write\"]", "write_tools[0]"),
        ] {
            let (_, problems) = check(text);
            assert!(
                problems.iter().any(|p| p.contains(needle)),
                "{text}: {problems:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(toml::from_str::<RawWorkflows>("max_deph = 2").is_err());
    }

    #[test]
    fn values_are_taken() {
        let (s, problems) = check(
            "root_key = \"${env:K}\"\nmax_depth = 2\nflow_mode = \"deny\"\nwrite_tools = [\"files.write\"]\nrequire_token = true",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.max_depth, 2);
        assert_eq!(s.flow_mode, FlowModeSetting::Deny);
        assert_eq!(s.write_tools, vec!["files.write".to_string()]);
        assert!(s.require_token);
        assert_eq!(s.root_key.as_deref(), Some("${env:K}"));
    }
}
