//! The learned state: one `AgentProfile` per agent (with a `ToolProfile`
//! per tool it uses) and one `RoleProfile` per role, which aggregates its
//! members and serves as the peer prior of each of them.
//!
//! Profiles are plain serde data with a format version so the gateway can
//! persist each one as a JSON blob and restore it on start. Restoring
//! validates the shape and trims every bounded memory to the current caps.
//!
//! Memory is bounded: tools per agent and role, prefixes per tool, hosts,
//! sequences and recent resources are all capped (see `BaselineConfig`).

use crate::config::BaselineConfig;
use crate::daily::DailyVolume;
use crate::memory::{KeySet, RecentResources};
use crate::stats::{HourWindow, LogStats, NoveltyRate};
use crate::week::WeekHistogram;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Version of the persisted profile format. A blob of another version is
/// refused (the caller starts that profile afresh).
pub const FORMAT_VERSION: u32 = 1;

/// Why a persisted profile could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("profile is not valid JSON of the expected shape: {0}")]
    Malformed(String),
    #[error("profile format {found} is not supported (expected {expected})")]
    UnsupportedFormat { found: u32, expected: u32 },
    #[error("profile is inconsistent: {0}")]
    Invalid(&'static str),
}

/// What one agent does with one tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolProfile {
    pub calls: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub(crate) window: HourWindow,
    /// Calls per active hour.
    pub(crate) rate: LogStats,
    /// Result volume per call.
    pub(crate) volume: LogStats,
    /// Today's volumes and past days' mean volume per call.
    pub(crate) daily: DailyVolume,
    /// Share of calls that touched a prefix not seen before.
    pub(crate) prefix_novelty: NoveltyRate,
    pub(crate) prefixes: KeySet,
}

/// A sensitive read, remembered until the sequence window has passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensitiveRead {
    pub time: i64,
    pub tool: String,
}

/// Everything learned about one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub format: u32,
    pub agent: String,
    pub role: String,
    /// Trained observations (allowed or approved calls).
    pub observations: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub(crate) week: WeekHistogram,
    pub(crate) window: HourWindow,
    pub(crate) rate: LogStats,
    pub(crate) tool_novelty: NoveltyRate,
    pub(crate) host_novelty: NoveltyRate,
    pub(crate) hosts: KeySet,
    pub(crate) recent: RecentResources,
    /// Distinct resources per burst window, measured at each call.
    pub(crate) burst: LogStats,
    pub(crate) last_sensitive: Option<SensitiveRead>,
    pub(crate) sequences: KeySet,
    pub tools: BTreeMap<String, ToolProfile>,
    /// Distinct local days on which the agent had an approved call.
    #[serde(default)]
    pub approved_days: u32,
    /// The latest of those days (day index, local time).
    #[serde(default)]
    pub last_approved_day: i64,
}

/// What the agents of one role do with one tool (per-agent quantities:
/// the rates and volumes are those of single members, not sums).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleToolProfile {
    /// Members that have used the tool.
    pub adopters: u32,
    pub calls: u64,
    pub last_seen: i64,
    pub(crate) rate: LogStats,
    pub(crate) volume: LogStats,
    /// Members' daily mean volume per call.
    pub(crate) daily: LogStats,
    pub(crate) prefix_novelty: NoveltyRate,
    pub(crate) prefixes: KeySet,
}

/// The peer group of one role: the prior for each of its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleProfile {
    pub format: u32,
    pub role: String,
    pub members: BTreeSet<String>,
    pub observations: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub(crate) week: WeekHistogram,
    pub(crate) rate: LogStats,
    pub(crate) tool_novelty: NoveltyRate,
    pub(crate) host_novelty: NoveltyRate,
    pub(crate) hosts: KeySet,
    pub(crate) burst: LogStats,
    pub(crate) sequences: KeySet,
    pub tools: BTreeMap<String, RoleToolProfile>,
}

impl AgentProfile {
    pub fn new(agent: impl Into<String>, role: impl Into<String>) -> Self {
        AgentProfile {
            format: FORMAT_VERSION,
            agent: agent.into(),
            role: role.into(),
            observations: 0,
            first_seen: 0,
            last_seen: 0,
            week: WeekHistogram::default(),
            window: HourWindow::default(),
            rate: LogStats::default(),
            tool_novelty: NoveltyRate::default(),
            host_novelty: NoveltyRate::default(),
            hosts: KeySet::default(),
            recent: RecentResources::default(),
            burst: LogStats::default(),
            last_sensitive: None,
            sequences: KeySet::default(),
            tools: BTreeMap::new(),
            approved_days: 0,
            last_approved_day: 0,
        }
    }

    /// Days between the first and the latest trained observation.
    pub fn history_days(&self) -> f64 {
        if self.observations == 0 {
            0.0
        } else {
            (self.last_seen - self.first_seen).max(0) as f64 / 86_400.0
        }
    }

    pub fn to_json(&self) -> Result<String, ProfileError> {
        serde_json::to_string(self).map_err(|e| ProfileError::Malformed(e.to_string()))
    }

    /// Decode and validate a persisted profile, trimmed to `config`'s caps.
    pub fn from_json(json: &str, config: &BaselineConfig) -> Result<Self, ProfileError> {
        check_format(json)?;
        let mut p: AgentProfile =
            serde_json::from_str(json).map_err(|e| ProfileError::Malformed(e.to_string()))?;
        p.validate()?;
        p.trim(config);
        Ok(p)
    }

    fn validate(&self) -> Result<(), ProfileError> {
        if self.agent.is_empty() {
            return Err(ProfileError::Invalid("empty agent name"));
        }
        if !self.week.is_well_formed() {
            return Err(ProfileError::Invalid("hour-of-week histogram"));
        }
        let finite = [self.rate, self.burst]
            .iter()
            .chain(
                self.tools
                    .values()
                    .flat_map(|t| [&t.rate, &t.volume, &t.daily.days]),
            )
            .all(stats_ok);
        if !finite {
            return Err(ProfileError::Invalid("non-finite statistics"));
        }
        Ok(())
    }

    /// Enforce the memory caps (after a restore or a change of config).
    pub(crate) fn trim(&mut self, config: &BaselineConfig) {
        self.hosts.trim(config.max_hosts_per_agent);
        self.sequences.trim(config.max_sequences);
        self.recent.trim(config.recent_resources);
        for t in self.tools.values_mut() {
            t.prefixes.trim(config.max_prefixes_per_tool);
        }
        evict_least_recent(&mut self.tools, config.max_tools_per_agent, |t| t.last_seen);
    }

    /// Estimated bytes this profile occupies in memory (struct sizes plus
    /// heap buffers; allocator and B-tree node slack not included).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.agent.capacity()
            + self.role.capacity()
            + self.week_heap_bytes()
            + self.hosts.heap_bytes()
            + self.recent.heap_bytes()
            + self.sequences.heap_bytes()
            + self
                .last_sensitive
                .as_ref()
                .map_or(0, |s| s.tool.capacity())
            + self
                .tools
                .iter()
                .map(|(name, t)| tool_entry_bytes(name, t))
                .sum::<usize>()
    }

    fn week_heap_bytes(&self) -> usize {
        crate::observation::HOURS_PER_WEEK * std::mem::size_of::<f32>()
    }
}

/// Estimated bytes of one agent-tool pair: the map entry (name and
/// profile) and the profile's heap.
pub fn tool_entry_bytes(name: &str, tool: &ToolProfile) -> usize {
    std::mem::size_of::<String>()
        + name.len()
        + std::mem::size_of::<ToolProfile>()
        + tool.prefixes.heap_bytes()
}

impl RoleProfile {
    pub fn new(role: impl Into<String>) -> Self {
        RoleProfile {
            format: FORMAT_VERSION,
            role: role.into(),
            members: BTreeSet::new(),
            observations: 0,
            first_seen: 0,
            last_seen: 0,
            week: WeekHistogram::default(),
            rate: LogStats::default(),
            tool_novelty: NoveltyRate::default(),
            host_novelty: NoveltyRate::default(),
            hosts: KeySet::default(),
            burst: LogStats::default(),
            sequences: KeySet::default(),
            tools: BTreeMap::new(),
        }
    }

    pub fn history_days(&self) -> f64 {
        if self.observations == 0 {
            0.0
        } else {
            (self.last_seen - self.first_seen).max(0) as f64 / 86_400.0
        }
    }

    pub fn to_json(&self) -> Result<String, ProfileError> {
        serde_json::to_string(self).map_err(|e| ProfileError::Malformed(e.to_string()))
    }

    pub fn from_json(json: &str, config: &BaselineConfig) -> Result<Self, ProfileError> {
        check_format(json)?;
        let mut p: RoleProfile =
            serde_json::from_str(json).map_err(|e| ProfileError::Malformed(e.to_string()))?;
        if p.role.is_empty() {
            return Err(ProfileError::Invalid("empty role name"));
        }
        if !p.week.is_well_formed() {
            return Err(ProfileError::Invalid("hour-of-week histogram"));
        }
        let finite = [p.rate, p.burst]
            .iter()
            .chain(
                p.tools
                    .values()
                    .flat_map(|t| [&t.rate, &t.volume, &t.daily]),
            )
            .all(stats_ok);
        if !finite {
            return Err(ProfileError::Invalid("non-finite statistics"));
        }
        p.trim(config);
        Ok(p)
    }

    pub(crate) fn trim(&mut self, config: &BaselineConfig) {
        self.hosts.trim(config.max_hosts_per_role);
        self.sequences.trim(config.max_sequences);
        for t in self.tools.values_mut() {
            t.prefixes.trim(config.max_prefixes_per_role_tool);
        }
        evict_least_recent(&mut self.tools, config.max_tools_per_role, |t| t.last_seen);
    }
}

fn stats_ok(s: &LogStats) -> bool {
    s.mean.is_finite() && s.var.is_finite() && s.var >= 0.0
}

/// Refuse another format version before decoding the rest, so the error
/// names the version rather than a missing field.
fn check_format(json: &str) -> Result<(), ProfileError> {
    #[derive(Deserialize)]
    struct Header {
        format: u32,
    }
    let header: Header =
        serde_json::from_str(json).map_err(|e| ProfileError::Malformed(e.to_string()))?;
    if header.format != FORMAT_VERSION {
        return Err(ProfileError::UnsupportedFormat {
            found: header.format,
            expected: FORMAT_VERSION,
        });
    }
    Ok(())
}

/// Drop the least recently seen entries until at most `cap` remain.
pub(crate) fn evict_least_recent<V>(
    map: &mut BTreeMap<String, V>,
    cap: usize,
    last_seen: impl Fn(&V) -> i64,
) {
    while map.len() > cap {
        let oldest = map
            .iter()
            .min_by_key(|(_, v)| last_seen(v))
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => {
                map.remove(&k);
            }
            None => break,
        }
    }
}
