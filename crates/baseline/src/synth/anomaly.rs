//! Labelled anomalies injected into the synthetic activity, one incident
//! id per injected episode:
//!
//! - `off_hours`: an agent that never works nights works at night (or on a
//!   weekend night), with its usual tools and volumes.
//! - `volume_spike`: a burst of calls with 6–15× the usual result volume.
//! - `slow_ramp`: one tool's result volume grows linearly to 6–10× over a
//!   week and stays there three days; events are labelled from 2× on.
//! - `new_tool`: a tool no one in the agent's role uses (another role's, or
//!   a privilege tool such as `secrets.read`).
//! - `new_destination`: outbound sends to a host never seen before.
//! - `exfiltration`: a run of sensitive reads followed within minutes by
//!   outbound sends to a new external host.
//! - `role_imitation`: a compromised agent acting as another role (its
//!   tools, resources and volumes) for up to an hour and a half.

use super::catalog::{RoleSpec, FOREIGN_TOOLS, FOREIGN_VOLUME, ROLES};
use super::{call_of, lognormal, normal_call, pick_weighted, working_set, Agent, SynthConfig};
use crate::event::Event;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The kinds of injected anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnomalyKind {
    OffHours,
    VolumeSpike,
    SlowRamp,
    NewTool,
    NewDestination,
    Exfiltration,
    RoleImitation,
}

impl AnomalyKind {
    pub const ALL: [AnomalyKind; 7] = [
        AnomalyKind::OffHours,
        AnomalyKind::VolumeSpike,
        AnomalyKind::SlowRamp,
        AnomalyKind::NewTool,
        AnomalyKind::NewDestination,
        AnomalyKind::Exfiltration,
        AnomalyKind::RoleImitation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::OffHours => "off_hours",
            AnomalyKind::VolumeSpike => "volume_spike",
            AnomalyKind::SlowRamp => "slow_ramp",
            AnomalyKind::NewTool => "new_tool",
            AnomalyKind::NewDestination => "new_destination",
            AnomalyKind::Exfiltration => "exfiltration",
            AnomalyKind::RoleImitation => "role_imitation",
        }
    }
}

/// A volume ramp applied while normal activity is generated.
#[derive(Debug, Clone)]
struct Ramp {
    agent: String,
    tool: usize,
    start: i64,
    ramp_end: i64,
    stop: i64,
    top: f64,
    incident: String,
}

#[derive(Debug, Clone)]
struct Incident {
    kind: AnomalyKind,
    agent: usize,
    start: i64,
    id: String,
}

/// The anomalies chosen for one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    ramps: Vec<Ramp>,
    incidents: Vec<Incident>,
}

impl Plan {
    /// Scale a normal call's volume when it falls in a ramp, and label it
    /// once the ramp has reached 2×.
    pub fn apply_ramp(&self, agent: &Agent, tool: usize, e: &mut Event) {
        for r in &self.ramps {
            if r.agent != agent.name || r.tool != tool || e.time < r.start || e.time >= r.stop {
                continue;
            }
            let progress = ((e.time - r.start) as f64 / (r.ramp_end - r.start) as f64).min(1.0);
            let m = 1.0 + (r.top - 1.0) * progress;
            e.volume = e.volume.map(|v| (v * m).round());
            if m >= 2.0 {
                e.label = Some(true);
                e.kind = Some(AnomalyKind::SlowRamp.as_str().to_string());
                e.incident = Some(r.incident.clone());
            }
        }
    }
}

/// The tool of the agent with the most traffic among those reporting volume.
fn main_volume_tool(agent: &Agent) -> Option<usize> {
    agent
        .role
        .tools
        .iter()
        .enumerate()
        .filter(|(_, t)| t.volume.is_some())
        .max_by(|a, b| {
            let wa = agent.tool_weights.get(a.0).copied().unwrap_or(0.0);
            let wb = agent.tool_weights.get(b.0).copied().unwrap_or(0.0);
            wa.total_cmp(&wb)
        })
        .map(|(i, _)| i)
}

fn eligible(kind: AnomalyKind, agent: &Agent) -> bool {
    match kind {
        AnomalyKind::OffHours => agent.role.night == 0.0,
        AnomalyKind::VolumeSpike | AnomalyKind::SlowRamp => main_volume_tool(agent).is_some(),
        AnomalyKind::Exfiltration => agent.role.tools.iter().any(|t| !t.sensitive.is_empty()),
        AnomalyKind::NewTool | AnomalyKind::NewDestination | AnomalyKind::RoleImitation => true,
    }
}

/// A weekday time inside the agent's usual hours (not its first or last).
fn working_time(rng: &mut ChaCha8Rng, config: &SynthConfig, agent: &Agent, day: u32) -> i64 {
    let mut day = day;
    while day % 7 >= 5 && day + 1 < config.days {
        day += 1;
    }
    let hour = rng.random_range(agent.start + 1..agent.start + agent.length - 1);
    config.start + i64::from(day) * 86_400 + i64::from(hour) * 3_600 + rng.random_range(0..3_000)
}

/// A night time (00:00–05:00), or a weekend evening.
fn off_time(rng: &mut ChaCha8Rng, config: &SynthConfig, day: u32) -> i64 {
    let hour = if day % 7 >= 5 && rng.random_bool(0.5) {
        rng.random_range(20..23)
    } else {
        rng.random_range(0..5)
    };
    config.start + i64::from(day) * 86_400 + i64::from(hour) * 3_600 + rng.random_range(0..1_800)
}

pub(crate) fn plan(rng: &mut ChaCha8Rng, config: &SynthConfig, agents: &[Agent]) -> Plan {
    let mut plan = Plan::default();
    if config.days <= config.burn_in_days + 1 || agents.is_empty() {
        return plan;
    }
    for kind in AnomalyKind::ALL {
        let candidates: Vec<usize> = (0..agents.len())
            .filter(|i| eligible(kind, &agents[*i]))
            .collect();
        for i in 0..config.anomalies_per_kind {
            if candidates.is_empty() {
                break;
            }
            let agent = candidates[rng.random_range(0..candidates.len())];
            let a = &agents[agent];
            let id = format!("{}-{}", kind.as_str(), i + 1);
            let last_day = config.days - 1;
            if kind == AnomalyKind::SlowRamp {
                let latest = last_day.saturating_sub(7).max(config.burn_in_days);
                let day = rng.random_range(config.burn_in_days..=latest);
                let start = config.start + i64::from(day) * 86_400;
                plan.ramps.push(Ramp {
                    agent: a.name.clone(),
                    tool: main_volume_tool(a).unwrap_or(0),
                    start,
                    ramp_end: start + 7 * 86_400,
                    stop: start + 10 * 86_400,
                    top: rng.random_range(6.0..10.0),
                    incident: id,
                });
                continue;
            }
            let day = rng.random_range(config.burn_in_days..last_day);
            let start = match kind {
                AnomalyKind::OffHours => off_time(rng, config, day),
                AnomalyKind::Exfiltration if rng.random_bool(0.3) => off_time(rng, config, day),
                _ => working_time(rng, config, a, day),
            };
            plan.incidents.push(Incident {
                kind,
                agent,
                start,
                id,
            });
        }
    }
    plan
}

fn labelled(mut e: Event, kind: AnomalyKind, id: &str) -> Event {
    e.label = Some(true);
    e.kind = Some(kind.as_str().to_string());
    e.incident = Some(id.to_string());
    e
}

/// Spread `n` times over `span` seconds from `start`, in order.
fn times(rng: &mut ChaCha8Rng, start: i64, n: u32, span: i64) -> Vec<i64> {
    let mut ts: Vec<i64> = (0..n)
        .map(|_| start + rng.random_range(0..span.max(1)))
        .collect();
    ts.sort_unstable();
    ts
}

pub(crate) fn inject(rng: &mut ChaCha8Rng, agents: &[Agent], plan: &Plan) -> Vec<Event> {
    let mut out = Vec::new();
    for inc in &plan.incidents {
        let Some(agent) = agents.get(inc.agent) else {
            continue;
        };
        let (kind, id) = (inc.kind, inc.id.as_str());
        match kind {
            AnomalyKind::OffHours => {
                let n = rng.random_range(4..=12);
                let span = rng.random_range(900..3_600);
                for t in times(rng, inc.start, n, span) {
                    let tool = pick_weighted(rng, &agent.tool_weights);
                    out.push(labelled(normal_call(rng, agent, tool, t, 1.0), kind, id));
                }
            }
            AnomalyKind::VolumeSpike => {
                let tool = main_volume_tool(agent).unwrap_or(0);
                let factor = rng.random_range(6.0..15.0);
                let n = rng.random_range(6..=15);
                let span = rng.random_range(1_200..3_000);
                for t in times(rng, inc.start, n, span) {
                    out.push(labelled(normal_call(rng, agent, tool, t, factor), kind, id));
                }
            }
            AnomalyKind::NewTool => {
                let n = rng.random_range(2..=5);
                let span = rng.random_range(600..1_200);
                let foreign = foreign_tool(rng, agent.role);
                for t in times(rng, inc.start, n, span) {
                    out.push(labelled(foreign(rng, agent, t), kind, id));
                }
            }
            AnomalyKind::NewDestination => {
                let host = format!("upload-{}.filedrop.example", rng.random_range(100..999));
                let n = rng.random_range(1..=3);
                for t in times(rng, inc.start, n, 300) {
                    out.push(labelled(outbound(rng, agent, t, &host), kind, id));
                }
            }
            AnomalyKind::Exfiltration => {
                exfiltration(rng, agent, inc.start, id, &mut out);
            }
            AnomalyKind::RoleImitation => {
                let others: Vec<&RoleSpec> =
                    ROLES.iter().filter(|r| r.role != agent.role.role).collect();
                let target = others[rng.random_range(0..others.len())];
                let working: Vec<Vec<String>> =
                    target.tools.iter().map(|t| working_set(rng, t)).collect();
                let weights: Vec<f64> = target.tools.iter().map(|t| t.weight).collect();
                let n = rng.random_range(8..=20);
                let span = rng.random_range(1_800..5_400);
                for t in times(rng, inc.start, n, span) {
                    let i = pick_weighted(rng, &weights);
                    let spec = &target.tools[i];
                    let scale = lognormal(rng, 0.0, 0.3);
                    let e = call_of(
                        rng,
                        &agent.name,
                        agent.role.role,
                        spec,
                        &working[i],
                        t,
                        scale,
                    );
                    out.push(labelled(e, kind, id));
                }
            }
            AnomalyKind::SlowRamp => {}
        }
    }
    out
}

type Maker = Box<dyn Fn(&mut ChaCha8Rng, &Agent, i64) -> Event>;

/// A call to a tool outside the agent's role: a privilege tool, or another
/// role's tool.
fn foreign_tool(rng: &mut ChaCha8Rng, own: &RoleSpec) -> Maker {
    if rng.random_bool(0.5) {
        let tool = FOREIGN_TOOLS[rng.random_range(0..FOREIGN_TOOLS.len())];
        Box::new(move |rng, agent, t| {
            let resource = match tool {
                "secrets.read" => Some(format!("vault/prod/key-{}", rng.random_range(0..5))),
                "admin.grant_role" => Some("role/admin".to_string()),
                "database.export" => Some("customers".to_string()),
                _ => None,
            };
            Event {
                time: t,
                agent: agent.name.clone(),
                role: agent.role.role.to_string(),
                tool: tool.to_string(),
                resource,
                destination: None,
                sensitive: tool != "shell.exec",
                outbound: false,
                volume: Some((FOREIGN_VOLUME * lognormal(rng, 0.0, 0.5)).round()),
                label: None,
                kind: None,
                incident: None,
            }
        })
    } else {
        let own_tools: Vec<&str> = own.tools.iter().map(|t| t.tool).collect();
        let specs: Vec<_> = ROLES
            .iter()
            .flat_map(|r| r.tools.iter())
            .filter(|t| !own_tools.contains(&t.tool))
            .copied()
            .collect();
        let spec = specs[rng.random_range(0..specs.len())];
        let working = working_set(rng, &spec);
        Box::new(move |rng, agent, t| {
            call_of(rng, &agent.name, agent.role.role, &spec, &working, t, 1.0)
        })
    }
}

/// An outbound send by `agent` to `host` with its own outbound tool.
fn outbound(rng: &mut ChaCha8Rng, agent: &Agent, t: i64, host: &str) -> Event {
    let tool = agent
        .role
        .tools
        .iter()
        .position(|t| t.outbound)
        .unwrap_or(0);
    let mut e = normal_call(rng, agent, tool, t, 1.0);
    e.destination = Some(host.to_string());
    e.outbound = true;
    e
}

fn exfiltration(rng: &mut ChaCha8Rng, agent: &Agent, start: i64, id: &str, out: &mut Vec<Event>) {
    let kind = AnomalyKind::Exfiltration;
    let Some(read_tool) = agent
        .role
        .tools
        .iter()
        .position(|t| !t.sensitive.is_empty())
    else {
        return;
    };
    let reads = rng.random_range(3..=8);
    let read_times = times(rng, start, reads, 600);
    let last_read = read_times.last().copied().unwrap_or(start);
    for t in read_times {
        let scale = rng.random_range(2.0..6.0);
        let mut e = normal_call(rng, agent, read_tool, t, scale);
        let spec = &agent.role.tools[read_tool];
        if let Some(sensitive) = spec.sensitive.iter().find(|s| **s != "*") {
            e.resource = Some((*sensitive).to_string());
        }
        e.sensitive = true;
        out.push(labelled(e, kind, id));
    }
    let n = rng.random_range(1..=2);
    let via_own = rng.random_bool(0.5);
    let host = if via_own {
        format!("mail.freemail-{}.example", rng.random_range(10..99))
    } else {
        format!("paste-{}.example", rng.random_range(10..99))
    };
    for t in times(rng, last_read + 120, n, 480) {
        let e = if via_own {
            outbound(rng, agent, t, &host)
        } else {
            Event {
                time: t,
                agent: agent.name.clone(),
                role: agent.role.role.to_string(),
                tool: "http.post".to_string(),
                resource: None,
                destination: Some(host.clone()),
                sensitive: false,
                outbound: true,
                volume: None,
                label: None,
                kind: None,
                incident: None,
            }
        };
        out.push(labelled(e, kind, id));
    }
}
