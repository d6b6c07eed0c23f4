//! Shared helpers for the policy crate's integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod strategies;

use behavry_core::{
    AgentId, AgentIdentity, CallKind, PolicyInput, RequestMeta, TimeFacts, ToolCall,
};
use std::path::{Path, PathBuf};

/// The default policy set shipped in the repository.
pub fn default_policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

pub fn input(
    role: &str,
    method: CallKind,
    upstream: &str,
    tool: &str,
    arguments: serde_json::Value,
) -> PolicyInput {
    PolicyInput {
        agent: AgentIdentity {
            id: AgentId("0190a4b2-7c1d-7000-8000-000000000001".to_string()),
            name: "test-agent".to_string(),
            role: role.to_string(),
            labels: [("team".to_string(), "data".to_string())]
                .into_iter()
                .collect(),
            owner: Some("ops@example.com".to_string()),
        },
        call: ToolCall {
            method,
            upstream: upstream.to_string(),
            tool: tool.to_string(),
            arguments,
        },
        time: TimeFacts {
            rfc3339: "2026-11-02T10:15:00Z".to_string(),
            unix: 1_793_614_500,
            hour: 10,
            minute: 15,
            weekday: "monday".to_string(),
        },
        request: RequestMeta {
            protocol_version: "2025-11-25".to_string(),
            era: "legacy".to_string(),
            session_id: Some("session-1".to_string()),
            client: Some(serde_json::json!({"name": "test-client", "version": "1.0"})),
            meta: None,
            ..RequestMeta::default()
        },
        risk: None,
        scan: None,
        workflow: None,
    }
}

pub fn tool_call(
    role: &str,
    upstream: &str,
    tool: &str,
    arguments: serde_json::Value,
) -> PolicyInput {
    input(role, CallKind::ToolsCall, upstream, tool, arguments)
}

/// Write `files` (relative path, content) into a fresh temporary directory.
pub fn policy_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(dir.path(), files);
    dir
}

pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let full = root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(full, content).expect("write");
    }
}

/// A minimal valid policy: allows tool `ok`, denies everything else.
pub const MINIMAL_POLICY: &str = r#"package behavry

import rego.v1

default decision := {"result": "deny", "reasons": ["not ok"]}

decision := {"result": "allow", "reasons": []} if input.call.tool == "ok"
"#;

pub const MINIMAL_TEST: &str = r#"package behavry_test

import rego.v1

test_ok_is_allowed if {
	data.behavry.decision.result == "allow" with input as {"call": {"tool": "ok"}}
}
"#;
