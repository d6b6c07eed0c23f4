//! Training: fold one allowed (or approved) call into its agent's profile
//! and its role's. Only calls that actually ran may be learned — a call
//! that was denied, or intercepted and not approved, must never reach
//! `learn`, or an attacker could repeat a call until it looks normal.
//!
//! An approved call teaches less than an allowed one (`habit_weight`): it
//! makes its tool, prefix, host and sequence known — a person vouched for
//! them — but it teaches the habits (hours of the week, calls per hour,
//! result volume, distinct resources) only once the agent has had approved
//! calls on `APPROVED_DAYS_TO_LEARN` distinct days, and then at
//! `APPROVED_WEIGHT` of an allowed call. A few approvals in one night, or
//! two, do not make nights or bursts normal; a change of work that people
//! approve day after day becomes normal, slowly.

use crate::config::BaselineConfig;
use crate::observation::{
    hour_fraction, hour_index, hour_of_week, key, normalize_host, resource_prefix, Observation,
};
use crate::profile::{evict_least_recent, AgentProfile, RoleProfile, SensitiveRead};
use crate::stats::MIN_LOG_SD;

/// Weight of a new day in the daily volume statistics (about three weeks
/// of memory).
pub(crate) const DAILY_ALPHA: f64 = 0.05;
/// Distinct days with approved calls before approved calls teach habits.
pub const APPROVED_DAYS_TO_LEARN: u32 = 3;
/// Weight of an approved call in the habit features, from then on.
pub const APPROVED_WEIGHT: f64 = 0.25;

/// How a call that ran came to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Decided `allow`.
    Allowed,
    /// Intercepted, then approved by a person.
    Approved,
}

/// Weight of this call in the habit features (see the module comment),
/// after counting an approval's day.
fn habit_weight(agent: &mut AgentProfile, outcome: Outcome, day: i64) -> f64 {
    match outcome {
        Outcome::Allowed => 1.0,
        Outcome::Approved => {
            if agent.approved_days == 0 || day != agent.last_approved_day {
                agent.approved_days = agent.approved_days.saturating_add(1);
                agent.last_approved_day = day;
            }
            if agent.approved_days >= APPROVED_DAYS_TO_LEARN {
                APPROVED_WEIGHT
            } else {
                0.0
            }
        }
    }
}

/// Features of one observation derived once and shared by scoring and
/// training.
#[derive(Debug, Clone)]
pub(crate) struct Derived {
    pub hour: i64,
    pub how: usize,
    pub fraction: f64,
    pub prefix: Option<String>,
    pub prefix_key: Option<u64>,
    pub resource_key: Option<u64>,
    pub host: Option<String>,
    pub host_key: Option<u64>,
}

impl Derived {
    pub fn of(obs: &Observation, config: &BaselineConfig) -> Self {
        let off = config.utc_offset_seconds;
        let resource = obs.resource.as_deref().filter(|r| !r.is_empty());
        let prefix = resource.map(|r| resource_prefix(r, config.prefix_depth));
        let host = obs
            .destination_host
            .as_deref()
            .map(normalize_host)
            .filter(|h| !h.is_empty());
        Derived {
            hour: hour_index(obs.time, off),
            how: hour_of_week(obs.time, off),
            fraction: hour_fraction(obs.time, off),
            prefix_key: prefix.as_deref().map(|p| key("prefix", p)),
            prefix,
            resource_key: resource.map(|r| key("resource", r)),
            host_key: host.as_deref().map(|h| key("host", h)),
            host,
        }
    }
}

/// The key of a sensitive-read → outbound sequence.
pub(crate) fn sequence_key(read_tool: &str, send_tool: &str) -> u64 {
    key("sequence", &format!("{read_tool}\u{0}{send_tool}"))
}

/// Fold `obs` into `agent` and `role`.
pub(crate) fn learn(
    agent: &mut AgentProfile,
    role: &mut RoleProfile,
    obs: &Observation,
    d: &Derived,
    config: &BaselineConfig,
    outcome: Outcome,
) {
    let t = obs.time;
    let day = d.hour.div_euclid(24);
    let w = habit_weight(agent, outcome, day);
    let wf = w as f32;
    let alpha = config.stats_alpha;
    let novelty_alpha = config.novelty_alpha;
    let half_life_hours = config.histogram_half_life_days * 24.0;

    for (observations, first, last) in [
        (
            &mut agent.observations,
            &mut agent.first_seen,
            &mut agent.last_seen,
        ),
        (
            &mut role.observations,
            &mut role.first_seen,
            &mut role.last_seen,
        ),
    ] {
        if *observations == 0 {
            *first = t;
            *last = t;
        }
        *observations = observations.saturating_add(1);
        *first = (*first).min(t);
        *last = (*last).max(t);
    }
    role.members.insert(agent.agent.clone());
    agent.week.add(d.how, d.hour, half_life_hours, wf);
    role.week.add(d.how, d.hour, half_life_hours, wf);

    if let Some(closed) = agent.window.advance(d.hour) {
        agent.rate.push(closed.calls, alpha);
        role.rate.push(closed.calls, alpha);
    }
    agent.window.add(None, wf);

    // Tool.
    let new_tool = !agent.tools.contains_key(&obs.tool);
    agent.tool_novelty.push(new_tool, novelty_alpha);
    role.tool_novelty.push(new_tool, novelty_alpha);
    let members = u32::try_from(role.members.len()).unwrap_or(u32::MAX);
    let role_tool = role.tools.entry(obs.tool.clone()).or_default();
    if new_tool {
        role_tool.adopters = role_tool.adopters.saturating_add(1).min(members);
    }
    role_tool.calls = role_tool.calls.saturating_add(1);
    role_tool.last_seen = role_tool.last_seen.max(t);
    let tool = agent.tools.entry(obs.tool.clone()).or_default();
    if tool.calls == 0 {
        tool.first_seen = t;
    }
    tool.calls = tool.calls.saturating_add(1);
    tool.last_seen = tool.last_seen.max(t);
    if let Some(closed) = tool.window.advance(d.hour) {
        tool.rate.push(closed.calls, alpha);
        role_tool.rate.push(closed.calls, alpha);
    }
    let volume = obs.usable_volume();
    if let Some(v) = volume {
        tool.volume.push_weighted(v, alpha, w);
        role_tool.volume.push_weighted(v, alpha, w);
    }
    let per_call_sd = tool
        .volume
        .expectation()
        .map_or(0.0, |e| e.sd.max(MIN_LOG_SD));
    if let Some(mean) = tool.daily.advance(day, DAILY_ALPHA, per_call_sd) {
        role_tool.daily.push_log(mean, DAILY_ALPHA);
    }
    tool.daily.add(volume, wf);
    tool.window.add(volume, wf);

    // Resource prefix, per agent-tool pair.
    if let Some(pk) = d.prefix_key {
        let new = tool
            .prefixes
            .touch(pk, d.hour, config.max_prefixes_per_tool);
        tool.prefix_novelty.push(new, novelty_alpha);
        role_tool.prefix_novelty.push(new, novelty_alpha);
        role_tool
            .prefixes
            .touch(pk, d.hour, config.max_prefixes_per_role_tool);
    }

    // Destination host, per agent.
    if let Some(hk) = d.host_key {
        let new = agent.hosts.touch(hk, d.hour, config.max_hosts_per_agent);
        agent.host_novelty.push(new, novelty_alpha);
        role.host_novelty.push(new, novelty_alpha);
        role.hosts.touch(hk, d.hour, config.max_hosts_per_role);
    }

    // Distinct resources per burst window.
    if let Some(rk) = d.resource_key {
        let distinct = agent
            .recent
            .distinct_within(t, config.burst_window_seconds, Some(rk));
        agent.burst.push_weighted(distinct as f64, alpha, w);
        role.burst.push_weighted(distinct as f64, alpha, w);
        agent.recent.push(t, rk, config.recent_resources);
    }

    // Sensitive read → outbound sequences.
    if obs.outbound {
        if let Some(read) = recent_sensitive(agent, t, config) {
            let k = sequence_key(&read.tool, &obs.tool);
            agent.sequences.touch(k, d.hour, config.max_sequences);
            role.sequences.touch(k, d.hour, config.max_sequences);
        }
    }
    if obs.sensitive {
        agent.last_sensitive = Some(SensitiveRead {
            time: t,
            tool: obs.tool.clone(),
        });
    }

    evict_least_recent(&mut agent.tools, config.max_tools_per_agent, |x| {
        x.last_seen
    });
    evict_least_recent(&mut role.tools, config.max_tools_per_role, |x| x.last_seen);
}

/// The agent's last sensitive read, when it lies within the sequence window
/// before `now`.
pub(crate) fn recent_sensitive<'a>(
    agent: &'a AgentProfile,
    now: i64,
    config: &BaselineConfig,
) -> Option<&'a SensitiveRead> {
    agent
        .last_sensitive
        .as_ref()
        .filter(|r| r.time <= now && now - r.time <= config.sequence_window_seconds)
}
