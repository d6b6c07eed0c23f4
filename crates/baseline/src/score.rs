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
//!
//! Cold start: every expectation blends the agent's own statistics with
//! its role's (weight `n / (n + k)` on its own), and evidence from
//! comparisons is multiplied by `strength = 0.35 + 0.65 × max(own
//! confidence, peer confidence)` — a new agent in an established role is
//! judged against its peers almost at full strength; the first agent of a
//! new role is judged at about a third of it.

use crate::assessment::{human_number, human_ratio, Factor, RiskAssessment};
use crate::config::BaselineConfig;
use crate::learn::{recent_sensitive, sequence_key, Derived};
use crate::observation::{describe_local_time, Observation, HOURS_PER_WEEK};
use crate::profile::{AgentProfile, RoleProfile, RoleToolProfile, ToolProfile};
use crate::stats::{blend, blend_rate, LogExpectation, MIN_LOG_SD};

mod novelty;
use novelty::{new_destination, new_resource, new_tool, resource_burst, sequence};

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
/// Days of history before the daily volume trend is judged.
const MIN_TREND_DAYS: u32 = 5;
/// Smallest deviation of the daily mean volume per call (log space).
const MIN_DAILY_SD: f64 = 0.25;
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
/// x = z-score of calls in the sliding hour.
const RATE: Curve = Curve {
    slope: 0.6,
    offset: 2.5,
    cap: 1.8,
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
        Some(call_rate(&cx)),
        result_volume(&cx),
        volume_trend(&cx),
        Some(new_tool(&cx)),
        new_resource(&cx),
        new_destination(&cx),
        resource_burst(&cx),
        sequence(&cx),
    ]
    .into_iter()
    .flatten()
    .collect();

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

/// Probability of this hour of the week against a typical hour's
/// (observed = p(this hour), baseline = Σ p², the expected p of an hour).
fn time_of_week(cx: &Cx) -> Option<Factor> {
    let own = cx.agent.and_then(|a| a.week.distribution());
    let peer = cx.role.and_then(|r| r.week.distribution());
    let dist = match (own, peer) {
        (Some(o), Some(p)) => {
            let w = cx.confidence;
            o.iter()
                .zip(&p)
                .map(|(a, b)| w * a + (1.0 - w) * b)
                .collect()
        }
        (Some(o), None) => o,
        (None, Some(p)) => p,
        (None, None) => return None,
    };
    let floor = |p: f64| (1.0 - TIME_FLOOR) * p + TIME_FLOOR / HOURS_PER_WEEK as f64;
    let typical: f64 = dist.iter().map(|p| floor(*p).powi(2)).sum();
    let here = floor(dist.get(cx.d.how).copied().unwrap_or(0.0));
    let evidence = TIME.apply((typical / here).ln()) * cx.strength;
    let when = describe_local_time(cx.obs.time, cx.config.utc_offset_seconds);
    let detail = if evidence > 0.0 {
        let (who, hours) = match cx.agent.and_then(|a| a.week.active_hours()) {
            Some(h) if cx.confidence >= 0.3 => ("agent", h),
            _ => match cx.role.and_then(|r| r.week.active_hours()) {
                Some(h) => ("role", h),
                None => ("agent", cx.agent.and_then(|a| a.week.active_hours())?),
            },
        };
        let who = if who == "role" {
            format!("role {}", cx.obs.role)
        } else {
            "agent".to_string()
        };
        format!("off-hours ({when}): {who} is usually active {hours}")
    } else {
        format!("usual hours ({when})")
    };
    Some(factor("time_of_week", here, typical, evidence, detail))
}

/// Calls in the sliding hour, for the agent and for the agent-tool pair;
/// the more surprising of the two counts.
fn call_rate(cx: &Cx) -> Factor {
    let agent_level = cx.agent.map_or((0.0, None), |a| {
        let calls = a.window.sliding(cx.d.hour, cx.d.fraction).calls;
        let w = f64::from(a.rate.n) / (f64::from(a.rate.n) + PRIOR_HOURS);
        (
            calls + 1.0,
            blend(
                a.rate.expectation(),
                cx.role.and_then(|r| r.rate.expectation()),
                w,
            ),
        )
    });
    let agent_level = (
        agent_level.0,
        agent_level
            .1
            .or_else(|| cx.role.and_then(|r| r.rate.expectation())),
    );
    let pair_calls = cx
        .tool
        .map_or(0.0, |t| t.window.sliding(cx.d.hour, cx.d.fraction).calls)
        + 1.0;
    let pair_n = cx.tool.map_or(0.0, |t| f64::from(t.rate.n));
    let pair = blend(
        cx.tool.and_then(|t| t.rate.expectation()),
        cx.role_tool.and_then(|t| t.rate.expectation()),
        pair_n / (pair_n + PRIOR_HOURS),
    );
    let candidates = [
        (agent_level.0, agent_level.1, "in total".to_string()),
        (pair_calls, pair, format!("to {}", cx.obs.tool)),
    ];
    let best = candidates
        .iter()
        .filter_map(|(x, e, what)| e.map(|e| (*x, e, what)))
        .max_by(|a, b| a.1.z(a.0).total_cmp(&b.1.z(b.0)));
    let Some((x, expect, what)) = best else {
        return factor(
            "call_rate",
            agent_level.0,
            0.0,
            0.0,
            format!(
                "{} calls in the last hour (no rate baseline yet)",
                human_number(agent_level.0)
            ),
        );
    };
    let evidence = if x >= 3.0 {
        RATE.apply(expect.z(x)) * cx.strength
    } else {
        0.0
    };
    let detail = rate_words(x, &expect, what, evidence > 0.0);
    factor("call_rate", x, expect.typical(), evidence, detail)
}

fn rate_words(x: f64, e: &LogExpectation, what: &str, unusual: bool) -> String {
    let calls = plural(x, "call", "calls");
    if unusual {
        format!(
            "call rate {} the rolling baseline ({} {calls} {what} in the last hour vs {})",
            human_ratio(e.ratio(x)),
            human_number(x),
            human_number(e.typical())
        )
    } else {
        format!(
            "call rate as usual ({} {calls} {what} in the last hour, baseline {})",
            human_number(x),
            human_number(e.typical())
        )
    }
}

fn plural<'a>(x: f64, one: &'a str, many: &'a str) -> &'a str {
    if x == 1.0 {
        one
    } else {
        many
    }
}

/// Result volume per call of the agent-tool pair over the sliding hour
/// (geometric mean; the current call's own volume counts when it is
/// already known), against the pair's per-call baseline. The deviation
/// of a mean of `k` calls is `sqrt(sd_call² / k + sd_day²)`: several large
/// results in an hour say more than one, but never more than the usual
/// day-to-day swing allows.
fn result_volume(cx: &Cx) -> Option<Factor> {
    let n = cx.tool.map_or(0.0, |t| f64::from(t.volume.n));
    let expect = blend(
        cx.tool.and_then(|t| t.volume.expectation()),
        cx.role_tool.and_then(|t| t.volume.expectation()),
        n / (n + PRIOR_CALLS),
    )?;
    let window = cx.tool?.window.sliding(cx.d.hour, cx.d.fraction);
    let extra = cx.obs.usable_volume();
    let y = window.mean_log_volume(extra)?;
    let k = window.volume_calls + if extra.is_some() { 1.0 } else { 0.0 };
    let sd = window_sd(cx.tool?, &expect, k);
    let z = (y - expect.mean) / sd;
    let observed = y.exp_m1().max(0.0);
    let evidence = VOLUME.apply(z) * cx.strength;
    let detail = if evidence > 0.0 {
        format!(
            "volume {} the rolling baseline for this hour ({} vs {} per call)",
            human_ratio((y - expect.mean).exp()),
            human_number(observed),
            human_number(expect.typical())
        )
    } else {
        format!(
            "volume within the rolling baseline ({} per call in the last hour, baseline {})",
            human_number(observed),
            human_number(expect.typical())
        )
    };
    Some(factor(
        "result_volume",
        observed,
        expect.typical(),
        evidence,
        detail,
    ))
}

/// Deviation of a window mean of `k` calls (see `result_volume`); without
/// daily history, at most `MAX_WINDOW_CALLS` calls count as independent.
fn window_sd(tool: &ToolProfile, per_call: &LogExpectation, k: f64) -> f64 {
    let call_sd = per_call.sd.max(MIN_LOG_SD);
    match tool.daily.days.expectation() {
        Some(day) if tool.daily.days.n >= MIN_TREND_DAYS => {
            (call_sd.powi(2) / k.max(1.0) + day.sd.max(MIN_DAILY_SD).powi(2)).sqrt()
        }
        _ => call_sd / k.clamp(1.0, MAX_WINDOW_CALLS).sqrt(),
    }
}

/// Today's result volume per call for the pair against the past days'
/// (a slow reference, so a gradual ramp that the per-call baseline keeps
/// up with still stands out).
fn volume_trend(cx: &Cx) -> Option<Factor> {
    let tool = cx.tool?;
    let days = &tool.daily.days;
    if days.n < MIN_TREND_DAYS {
        return None;
    }
    let expect = days.expectation()?;
    let (calls, y) = tool
        .daily
        .today(cx.d.hour.div_euclid(24), cx.obs.usable_volume());
    let y = y?;
    let per_call = tool
        .volume
        .expectation()
        .map_or(0.0, |e| e.sd.max(MIN_LOG_SD));
    let sd = (expect.sd.max(MIN_DAILY_SD).powi(2) + per_call.powi(2) / calls.max(1.0)).sqrt();
    let z = (y - expect.mean) / sd;
    let evidence = if calls >= 3.0 {
        TREND.apply(z) * cx.strength
    } else {
        0.0
    };
    let ratio = (y - expect.mean).exp();
    let observed = y.exp_m1().max(0.0);
    let detail = if evidence > 0.0 {
        format!(
            "volume per call today {} the baseline of the past weeks ({} vs {})",
            human_ratio(ratio),
            human_number(observed),
            human_number(expect.typical())
        )
    } else {
        format!(
            "daily volume as usual ({} per call today, baseline {})",
            human_number(observed),
            human_number(expect.typical())
        )
    };
    Some(factor(
        "volume_trend",
        observed,
        expect.typical(),
        evidence,
        detail,
    ))
}
