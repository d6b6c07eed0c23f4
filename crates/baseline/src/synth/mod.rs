//! A seeded generator of synthetic agent activity with labelled anomalies,
//! in the event format of `event.rs`.
//!
//! Several roles (analyst, writer, support, ops; see `catalog`) with a few
//! agents each work weeks of days with a daily rhythm (start hours, lunch
//! dip, overtime, absences), a weekly one (weekends off, or short weekend
//! sessions; ops round the clock with a nightly job), personal habits
//! (rate, tool mix, working set of resources, volume scale) and benign
//! surprises (busy days, new files, new customer domains). After a burn-in
//! period, anomalies of every `AnomalyKind` are injected and labelled.
//!
//! The same `SynthConfig` always yields the same events (ChaCha8 seeded
//! from `seed`; nothing depends on the platform or the clock).

mod anomaly;
pub mod catalog;

use crate::event::Event;
use catalog::{Hosts, Resources, RoleSpec, ToolSpec, ROLES};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use anomaly::AnomalyKind;

/// Monday 2026-01-05 00:00 UTC.
pub const DEFAULT_START: i64 = 1_767_571_200;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    pub days: u32,
    /// Unix seconds of the first day's midnight (UTC).
    pub start: i64,
    pub agents_per_role: usize,
    /// Incidents of each anomaly kind.
    pub anomalies_per_kind: usize,
    /// Days of clean activity before the first anomaly.
    pub burn_in_days: u32,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 1,
            days: 35,
            start: DEFAULT_START,
            agents_per_role: 4,
            anomalies_per_kind: 4,
            burn_in_days: 14,
        }
    }
}

/// One agent's personal habits.
#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub name: String,
    pub role: &'static RoleSpec,
    pub start: u32,
    pub length: u32,
    pub rate: f64,
    pub tool_weights: Vec<f64>,
    pub volume_scale: Vec<f64>,
    /// Per tool: the resources (or path areas) the agent works with.
    pub working: Vec<Vec<String>>,
}

/// Generate the events, sorted by time.
pub fn generate(config: &SynthConfig) -> Vec<Event> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let agents = make_agents(&mut rng, config.agents_per_role);
    let plan = anomaly::plan(&mut rng, config, &agents);
    let mut events = Vec::new();
    for day in 0..config.days {
        for agent in &agents {
            simulate_day(&mut rng, config, agent, day, &plan, &mut events);
        }
    }
    events.extend(anomaly::inject(&mut rng, &agents, &plan));
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.agent.cmp(&b.agent)));
    events
}

fn make_agents(rng: &mut ChaCha8Rng, per_role: usize) -> Vec<Agent> {
    let mut agents = Vec::new();
    for role in ROLES {
        for i in 0..per_role {
            let name = if i == 0 && role.role == "analyst" {
                format!("{}-primary", role.agent_stem)
            } else {
                format!("{}-{}", role.agent_stem, i + 1)
            };
            let tool_weights = role
                .tools
                .iter()
                .map(|t| t.weight * lognormal(rng, 0.0, 0.3))
                .collect();
            let volume_scale = role
                .tools
                .iter()
                .map(|_| lognormal(rng, 0.0, 0.5))
                .collect();
            let working = role.tools.iter().map(|t| working_set(rng, t)).collect();
            agents.push(Agent {
                name,
                role,
                start: rng.random_range(role.start.0..=role.start.1),
                length: rng.random_range(role.length.0..=role.length.1),
                rate: role.calls_per_hour * lognormal(rng, 0.0, 0.3),
                tool_weights,
                volume_scale,
                working,
            });
        }
    }
    agents
}

pub(crate) fn working_set(rng: &mut ChaCha8Rng, tool: &ToolSpec) -> Vec<String> {
    match tool.resources {
        Resources::Pick(list) => {
            let keep = ((list.len() as f64) * rng.random_range(0.5..0.9)).ceil() as usize;
            sample(rng, list, keep.max(2))
        }
        Resources::Paths { roots, dirs, .. } => {
            let areas: Vec<String> = roots
                .iter()
                .flat_map(|r| dirs.iter().map(move |d| format!("{r}/{d}")))
                .collect();
            let keep = rng.random_range(2..=4usize);
            sample(rng, &areas, keep)
        }
        Resources::Ids { .. } | Resources::None => Vec::new(),
    }
}

fn sample<T: AsRef<str>>(rng: &mut ChaCha8Rng, list: &[T], keep: usize) -> Vec<String> {
    let mut items: Vec<String> = list.iter().map(|s| s.as_ref().to_string()).collect();
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
    items.truncate(keep.min(items.len()));
    items
}

/// One normal day of one agent.
fn simulate_day(
    rng: &mut ChaCha8Rng,
    config: &SynthConfig,
    agent: &Agent,
    day: u32,
    plan: &anomaly::Plan,
    out: &mut Vec<Event>,
) {
    let midnight = config.start + i64::from(day) * 86_400;
    let weekday = day % 7; // the start is a Monday
    let weekend = weekday >= 5;
    let role = agent.role;
    let busy = lognormal(rng, 0.0, 0.25);
    let (mut start, mut end) = (agent.start, agent.start + agent.length);
    let works = if weekend {
        if rng.random_bool(role.weekend) {
            start += rng.random_range(0..3);
            end = (start + rng.random_range(2..5)).min(end);
            true
        } else {
            false
        }
    } else {
        if rng.random_bool(0.08) {
            end += rng.random_range(1..4);
        }
        if rng.random_bool(0.05) {
            start = start.saturating_sub(rng.random_range(1..3));
        }
        !rng.random_bool(0.04)
    };
    for hour in 0..24u32 {
        let mut intensity = if works && (start..end).contains(&hour) {
            let edge = hour == start || hour + 1 == end;
            let lunch = hour == start + 4;
            agent.rate
                * busy
                * if lunch {
                    0.5
                } else if edge {
                    0.6
                } else {
                    1.0
                }
        } else {
            0.0
        };
        if role.night > 0.0 && !(start..end).contains(&hour) {
            let weekend_scale = if weekend { 0.8 } else { 1.0 };
            intensity += agent.rate * role.night * weekend_scale;
        }
        let mut calls = poisson(rng, intensity);
        if let Some((h, n)) = role.nightly {
            if h == hour {
                calls += n;
            }
        }
        for _ in 0..calls {
            let secs = if role.nightly.is_some_and(|(h, _)| h == hour) {
                rng.random_range(0..900)
            } else {
                rng.random_range(0..3_600)
            };
            let t = midnight + i64::from(hour) * 3_600 + secs;
            let tool = pick_weighted(rng, &agent.tool_weights);
            let mut e = normal_call(rng, agent, tool, t, busy);
            plan.apply_ramp(agent, tool, &mut e);
            out.push(e);
        }
    }
}

/// One ordinary call of `agent` to its tool `tool_index` at time `t`.
pub(crate) fn normal_call(
    rng: &mut ChaCha8Rng,
    agent: &Agent,
    tool_index: usize,
    t: i64,
    busy: f64,
) -> Event {
    let spec = agent
        .role
        .tools
        .get(tool_index)
        .unwrap_or(&agent.role.tools[0]);
    let working = agent.working.get(tool_index).map_or(&[][..], Vec::as_slice);
    let scale = agent.volume_scale.get(tool_index).copied().unwrap_or(1.0);
    call_of(
        rng,
        &agent.name,
        agent.role.role,
        spec,
        working,
        t,
        scale * busy,
    )
}

/// A call of `spec` by `agent` (of `role`) within `working`.
pub(crate) fn call_of(
    rng: &mut ChaCha8Rng,
    agent: &str,
    role: &str,
    spec: &ToolSpec,
    working: &[String],
    t: i64,
    volume_scale: f64,
) -> Event {
    let resource = resource(rng, spec, working);
    let sensitive = match &resource {
        Some(r) => spec.sensitive.iter().any(|s| *s == "*" || s == r),
        None => false,
    };
    let destination = match spec.hosts {
        Hosts::None => None,
        Hosts::Pick(list) => Some(list[rng.random_range(0..list.len())].to_string()),
        Hosts::Many { stem, count } => {
            // A few customers write a lot; most rarely.
            let n = (rng.random::<f64>().powi(3) * f64::from(count)) as u32;
            Some(format!("{stem}-{n}.example"))
        }
    };
    let volume = spec
        .volume
        .map(|m| (m * volume_scale * lognormal(rng, 0.0, 0.6)).round());
    Event {
        time: t,
        agent: agent.to_string(),
        role: role.to_string(),
        tool: spec.tool.to_string(),
        resource,
        destination,
        sensitive,
        outbound: spec.outbound,
        volume,
        label: Some(false),
        kind: None,
        incident: None,
    }
}

fn resource(rng: &mut ChaCha8Rng, spec: &ToolSpec, working: &[String]) -> Option<String> {
    match spec.resources {
        Resources::None => None,
        Resources::Pick(list) => {
            // Mostly the working set (favourites first); rarely anything.
            if working.is_empty() || rng.random_bool(0.005) {
                Some(list[rng.random_range(0..list.len())].to_string())
            } else {
                Some(working[zipf(rng, working.len())].clone())
            }
        }
        Resources::Paths { files, .. } => {
            let area = if working.is_empty() {
                "/tmp".to_string()
            } else {
                working[zipf(rng, working.len())].clone()
            };
            Some(format!("{area}/file-{}.txt", rng.random_range(0..files)))
        }
        Resources::Ids { prefix, count } => Some(format!("{prefix}{}", rng.random_range(0..count))),
    }
}

/// Index in 0..n, rank r with weight 1/(r+1).
fn zipf(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let weights: Vec<f64> = (0..n).map(|r| 1.0 / (r as f64 + 1.0)).collect();
    pick_weighted(rng, &weights)
}

pub(crate) fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller.
    let u1 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

pub(crate) fn lognormal(rng: &mut ChaCha8Rng, mu: f64, sigma: f64) -> f64 {
    (mu + sigma * normal(rng)).exp()
}

pub(crate) fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let limit = (-lambda).exp();
    let mut k = 0u32;
    let mut p = rng.random::<f64>();
    while p > limit {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

#[cfg(test)]
mod tests;
