//! The configuration file as written: every table rejects unknown fields so
//! that a typo is an error, not a silently ignored setting.

pub use crate::approvals::{RawApprovals, RawNotification};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub admin: RawAdmin,
    #[serde(default)]
    pub policy: RawPolicy,
    #[serde(default)]
    pub storage: RawStorage,
    #[serde(default)]
    pub trace: RawTrace,
    #[serde(default)]
    pub approvals: RawApprovals,
    #[serde(default)]
    pub upstreams: Vec<RawUpstream>,
    #[serde(default)]
    pub notifications: Vec<RawNotification>,
    #[serde(default)]
    pub sinks: Vec<crate::sinks::RawSink>,
    #[serde(default)]
    pub scan: crate::scan::RawScan,
    #[serde(default)]
    pub risk: crate::risk::RawRisk,
    #[serde(default)]
    pub workflows: crate::workflows::RawWorkflows,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<String>,
    pub data_dir: Option<String>,
    pub max_body_bytes: Option<u64>,
    pub session_idle_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub session_idle_secs: Option<u64>,
    pub session_max_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub dir: Option<String>,
    pub eval_timeout_ms: Option<u64>,
    pub watch: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    pub url: Option<String>,
    pub coordination_stale_secs: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrace {
    pub arguments: Option<String>,
    pub durability: Option<String>,
    pub redact_keys: Option<Vec<String>>,
    pub checkpoint_every_secs: Option<u64>,
    pub checkpoint_every_records: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    pub name: Option<String>,
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub cwd: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub protocol: Option<String>,
    pub request_timeout_secs: Option<u64>,
    pub connect_timeout_secs: Option<u64>,
}
