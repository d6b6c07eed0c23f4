//! Behavioural baselines for agents: what each agent (and each role) usually
//! does — when, how much, with which tools, resources and destinations —
//! and a risk score for a call that says how far it departs from that,
//! with every factor explained.
//!
//! Invariants:
//! - Pure: no I/O and no clock. Every function takes the time as an
//!   argument (unix seconds), so scores are reproducible from their inputs.
//! - The gateway assesses every decided call (`Baselines::assess`: the
//!   attempt is counted in the current window, then scored) and trains
//!   only on calls that ran: allowed (`Baselines::update`), or intercepted
//!   and approved (`Baselines::update_approved`, which teaches habits
//!   only after approvals on several days, at a reduced weight). Denied
//!   and rejected calls never train the baseline, so repeating a call
//!   does not make it look normal.
//! - Memory per agent and per agent-tool pair is bounded by the caps in
//!   `BaselineConfig`, whatever the number of distinct resources or hosts.
//! - Profiles serialise with a format version (`FORMAT_VERSION`) and are
//!   validated when restored.
//!
//! `synth` generates labelled synthetic activity and `eval` measures the
//! detector on any labelled event stream (see docs/risk.md).

mod assessment;
mod attempts;
mod baselines;
mod config;
mod daily;
pub mod eval;
mod event;
mod learn;
mod memory;
mod observation;
mod profile;
mod render;
mod score;
mod stats;
pub mod synth;
mod week;

pub use assessment::{human_number, human_ratio, Factor, RiskAssessment};
pub use baselines::{Baselines, Dirty};
pub use config::{BaselineConfig, ConfigError};
pub use event::{parse_events, parse_line, rfc3339, to_line, Event, EventError};
pub use learn::{Outcome, APPROVED_DAYS_TO_LEARN, APPROVED_WEIGHT};
pub use observation::{hour_of_week, resource_prefix, Observation};
pub use profile::{
    tool_entry_bytes, AgentProfile, ProfileError, RoleProfile, RoleToolProfile, ToolProfile,
    FORMAT_VERSION,
};
pub use render::render_profile;
pub use score::{base_score, BIAS, MAX_TOTAL_EVIDENCE};
