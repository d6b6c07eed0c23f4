//! Scoring: each feature yields evidence in log-odds units, capped per
//! factor and scaled by how much the expectation can be trusted; the score
//! is the logistic of a fixed bias plus the summed evidence:
//!
//! `score = 1 / (1 + exp(-(BIAS + min(Σ evidence, MAX_TOTAL_EVIDENCE))))`
//!
//! With no evidence the score is `sigmoid(BIAS)` ≈ 0.18: "nothing unusual",
//! not "certainly benign". Each factor's evidence is
//! `clamp(slope × (x − offset), 0, cap)` of a surprise measure `x` (a
//! z-score in log space, or a negative log-probability); the curves are
//! the constants below, documented with their reasoning in docs/risk.md.
//! Factors that are views of one behaviour (`GROUPS`) are not counted
//! twice: within a group the strongest counts fully, the others at
//! `GROUP_SHARE`.
//!
//! Cold start: every expectation blends the agent's own statistics with
//! its role's (weight `n / (n + k)` on its own), and evidence from
//! comparisons is multiplied by `strength = 0.35 + 0.65 × max(own
//! confidence, peer confidence)` — a new agent in an established role is
//! judged against its peers almost at full strength; the first agent of a
//! new role is judged at about a third of it.

use crate::assessment::{human_number, human_ratio, Factor, RiskAssessment};
use crate::attempts::AgentAttempts;
use crate::config::BaselineConfig;
use crate::daily::MIN_DAILY_SD;
use crate::learn::{recent_sensitive, sequence_key, Derived};
use crate::observation::{describe_local_time, Observation, HOURS_PER_WEEK};
use crate::profile::{AgentProfile, RoleProfile, RoleToolProfile, ToolProfile};
use crate::stats::{blend, blend_rate, LogExpectation, MIN_LOG_SD};

mod activity;
mod novelty;
mod volume;
use activity::{call_volume, time_of_week};
use novelty::{new_destination, new_resource, new_tool, resource_burst, sequence};
use volume::{result_volume, volume_drift, volume_trend};

/// Log-odds with no evidence: sigmoid(-1.5) ≈ 0.18.
pub const BIAS: f64 = -1.5;
/// Summed evidence is capped here: sigmoid(6.5) ≈ 0.998.
pub const MAX_TOTAL_EVIDENCE: f64 = 8.0;
/// Evidence scale for an agent with neither own history nor peers.
const MIN_STRENGTH: f64 = 0.35;
/// Pseudo-count, in active hours, of the peer prior for rates and volumes.
const PRIOR_HOURS: f64 = 10.0;
/// Pseudo-count, in calls, of the peer prior for volume per call.
const PRIOR_CALLS: f64 = 20.0;
/// Calls in the window counted as independent evidence of a volume shift.
const MAX_WINDOW_CALLS: f64 = 4.0;
/// Fewer calls than this in the hour are never a burst.
const MIN_BURST_CALLS: f64 = 3.0;
/// Factors that are views of one behaviour: within a group the strongest
/// counts fully and each other one at `GROUP_SHARE` of its evidence.
const GROUPS: [[&str; 2]; 2] = [
    ["time_of_week", "call_volume"],
    ["volume_trend", "volume_drift"],
];
const GROUP_SHARE: f64 = 0.2;
/// Share of the week's probability spread evenly (no hour is impossible).
const TIME_FLOOR: f64 = 0.01;
/// Novelty rates are floored here (one in a thousand).
const MIN_RATE: f64 = 0.001;

/// `clamp(slope × (x − offset), 0, cap)`.
#[derive(Debug, Clone, Copy)]
struct Curve {
    slope: f64,
    offset: f64,
    cap: f64,
}

impl Curve {
    fn apply(self, x: f64) -> f64 {
        if x.is_finite() {
            (self.slope * (x - self.offset)).clamp(0.0, self.cap)
        } else {
            0.0
        }
    }
}

/// x = ln(p_typical / p_hour): an hour 3× rarer than a typical one is free.
const TIME: Curve = Curve {
    slope: 0.55,
    offset: 1.0986, // ln 3
    cap: 2.6,
};
/// x = z-score of calls in the sliding hour (every attempted call).
const CALL_VOLUME: Curve = Curve {
    slope: 1.2,
    offset: 2.0,
    cap: 2.8,
};
/// x = z-score of the mean result volume per call in the sliding hour.
const VOLUME: Curve = Curve {
    slope: 0.7,
    offset: 2.0,
    cap: 2.2,
};
/// x = z-score of today's mean volume per call against past days'.
const TREND: Curve = Curve {
    slope: 0.8,
    offset: 2.5,
    cap: 2.0,
};
/// x = drift of the daily volume per call (accumulated deviations).
const DRIFT: Curve = Curve {
    slope: 0.6,
    offset: 2.0,
    cap: 2.6,
};
/// x = z-score of distinct resources in the burst window.
const BURST: Curve = Curve {
    slope: 0.6,
    offset: 2.5,
    cap: 1.5,
};
/// x = −ln(rate at which the agent starts using tools).
const NEW_TOOL_OWN: Curve = Curve {
    slope: 0.45,
    offset: 1.609, // −ln 0.2
    cap: 1.5,
};
/// Evidence of a tool none of the agent's peers uses (scaled by the share
/// of peers that do not use it, squared, and by the peers' confidence).
const NEW_TOOL_PEER: f64 = 2.6;
/// x = −ln(rate of new prefixes for this agent-tool pair).
const NEW_PREFIX: Curve = Curve {
    slope: 0.4,
    offset: 1.204, // −ln 0.3
    cap: 1.2,
};
/// x = −ln(rate of new destination hosts for this agent).
const NEW_HOST: Curve = Curve {
    slope: 0.75,
    offset: 0.693, // −ln 0.5
    cap: 2.8,
};
/// A new host for a call that only reads from it (not `outbound`) weighs
/// this much of an outbound one.
const READ_HOST_SHARE: f64 = 0.6;
/// What is known to the role but new to the agent weighs this much less.
const ROLE_KNOWN_DISCOUNT: f64 = 0.4;
/// A sensitive read followed by an outbound send the agent never did.
const SEQUENCE_NEW: f64 = 1.8;
/// The same, when peers of the role do it.
const SEQUENCE_ROLE_KNOWN: f64 = 0.5;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The score of a call with no evidence at all.
pub fn base_score() -> f64 {
    sigmoid(BIAS)
}

/// Everything a factor needs, looked up once.
struct Cx<'a> {
    agent: Option<&'a AgentProfile>,
    /// Calls the agent attempted in the current window.
    attempts: Option<&'a AgentAttempts>,
    role: Option<&'a RoleProfile>,
    tool: Option<&'a ToolProfile>,
    role_tool: Option<&'a RoleToolProfile>,
    obs: &'a Observation,
    d: &'a Derived,
    config: &'a BaselineConfig,
    /// Weight of the agent's own history against its peers', by count.
    w_own: f64,
    /// Own weight also limited by the days of history (0..1).
    confidence: f64,
    peer_confidence: f64,
    peers: usize,
    strength: f64,
}

/// Score one call against the agent's and its role's profiles (either may
/// be missing: a new agent, a new role).
pub(crate) fn score(
    agent: Option<&AgentProfile>,
    role: Option<&RoleProfile>,
    attempts: Option<&AgentAttempts>,
    obs: &Observation,
    d: &Derived,
    config: &BaselineConfig,
) -> RiskAssessment {
    let k = config.prior_strength;
    let days_factor = |days: f64| {
        if config.min_days <= 0.0 {
            1.0
        } else {
            (days / config.min_days).min(1.0)
        }
    };
    let n_own = agent.map_or(0, |a| a.observations);
    let w_own = n_own as f64 / (n_own as f64 + k);
    let confidence = w_own * days_factor(agent.map_or(0.0, AgentProfile::history_days));
    let learning = n_own < config.min_observations
        || agent.map_or(0.0, AgentProfile::history_days) < config.min_days;
    let is_member = role.is_some_and(|r| r.members.contains(&obs.agent));
    let peers = role.map_or(0, |r| r.members.len() - usize::from(is_member));
    let peer_confidence = match role {
        Some(r) if peers > 0 => {
            let n_peer = r
                .observations
                .saturating_sub(if is_member { n_own } else { 0 }) as f64;
            n_peer / (n_peer + k) * days_factor(r.history_days())
        }
        _ => 0.0,
    };
    let strength = MIN_STRENGTH + (1.0 - MIN_STRENGTH) * confidence.max(peer_confidence);
    let cx = Cx {
        agent,
        attempts,
        role,
        tool: agent.and_then(|a| a.tools.get(&obs.tool)),
        role_tool: role.and_then(|r| r.tools.get(&obs.tool)),
        obs,
        d,
        config,
        w_own,
        confidence,
        peer_confidence,
        peers,
        strength,
    };

    let mut factors: Vec<Factor> = [
        time_of_week(&cx),
        Some(call_volume(&cx)),
        result_volume(&cx),
        volume_trend(&cx),
        volume_drift(&cx),
        Some(new_tool(&cx)),
        new_resource(&cx),
        new_destination(&cx),
        resource_burst(&cx),
        sequence(&cx),
    ]
    .into_iter()
    .flatten()
    .collect();
    discount_groups(&mut factors);

    let sum: f64 = factors.iter().map(|f| f.evidence).sum();
    let score = sigmoid(BIAS + sum.min(MAX_TOTAL_EVIDENCE));
    let above_base = score - base_score();
    for f in &mut factors {
        f.contribution = if sum > 0.0 {
            above_base * f.evidence / sum
        } else {
            0.0
        };
    }
    RiskAssessment {
        score,
        learning,
        confidence,
        factors,
    }
}

/// Within each of `GROUPS`, keep the strongest factor's evidence and
/// scale the others' by `GROUP_SHARE`.
fn discount_groups(factors: &mut [Factor]) {
    for group in GROUPS {
        let strongest = factors
            .iter()
            .enumerate()
            .filter(|(_, f)| group.contains(&f.name.as_str()))
            .max_by(|a, b| a.1.evidence.total_cmp(&b.1.evidence))
            .map(|(i, _)| i);
        for (i, f) in factors.iter_mut().enumerate() {
            if Some(i) != strongest && group.contains(&f.name.as_str()) {
                f.evidence *= GROUP_SHARE;
            }
        }
    }
}

fn factor(name: &str, observed: f64, baseline: f64, evidence: f64, detail: String) -> Factor {
    Factor {
        name: name.to_string(),
        observed,
        baseline,
        evidence,
        contribution: 0.0,
        detail,
    }
}

fn plural<'a>(x: f64, one: &'a str, many: &'a str) -> &'a str {
    if x == 1.0 {
        one
    } else {
        many
    }
}
