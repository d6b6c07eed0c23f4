//! The activity factors: when the agent works (`time_of_week`) and how
//! many calls it makes in the hour (`call_volume`). The two are views of
//! one activity level and form one group in the combination (see
//! `GROUPS` in score.rs): a burst at night is one anomaly, not two.

use super::*;

/// Probability of this hour of the week against a typical hour's
/// (observed = p(this hour), baseline = Σ p², the expected p of an hour).
pub(super) fn time_of_week(cx: &Cx) -> Option<Factor> {
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

/// Calls in the sliding hour, for the agent and for the agent-tool pair,
/// against the rolling baseline of calls per active hour; the more
/// surprising of the two counts. The count is of every call attempted in
/// the window (this one included) — known at decision time, whatever the
/// calls' outcomes — or of the trained calls when those are more (history
/// fed without attempts, or attempts forgotten by a restart).
pub(super) fn call_volume(cx: &Cx) -> Factor {
    let attempted = |tool: Option<&str>| {
        cx.attempts.map_or(0.0, |a| match tool {
            None => a.all.sliding(cx.d.hour, cx.d.fraction),
            Some(t) => a
                .tool(t)
                .map_or(0.0, |c| c.sliding(cx.d.hour, cx.d.fraction)),
        })
    };
    let agent_calls = 1.0
        + cx.agent
            .map_or(0.0, |a| a.window.sliding(cx.d.hour, cx.d.fraction).calls)
            .max(attempted(None));
    let agent_expect = match cx.agent {
        Some(a) => {
            let w = f64::from(a.rate.n) / (f64::from(a.rate.n) + PRIOR_HOURS);
            blend(
                a.rate.expectation(),
                cx.role.and_then(|r| r.rate.expectation()),
                w,
            )
        }
        None => cx.role.and_then(|r| r.rate.expectation()),
    };
    let pair_calls = 1.0
        + cx.tool
            .map_or(0.0, |t| t.window.sliding(cx.d.hour, cx.d.fraction).calls)
            .max(attempted(Some(&cx.obs.tool)));
    let pair_n = cx.tool.map_or(0.0, |t| f64::from(t.rate.n));
    let pair_expect = blend(
        cx.tool.and_then(|t| t.rate.expectation()),
        cx.role_tool.and_then(|t| t.rate.expectation()),
        pair_n / (pair_n + PRIOR_HOURS),
    );
    let candidates = [
        (agent_calls, agent_expect, "in total".to_string()),
        (pair_calls, pair_expect, format!("to {}", cx.obs.tool)),
    ];
    let best = candidates
        .iter()
        .filter_map(|(x, e, what)| e.map(|e| (*x, e, what)))
        .max_by(|a, b| a.1.z(a.0).total_cmp(&b.1.z(b.0)));
    let Some((x, expect, what)) = best else {
        return factor(
            "call_volume",
            agent_calls,
            0.0,
            0.0,
            format!(
                "{} {} in the last hour (no call volume baseline yet)",
                human_number(agent_calls),
                plural(agent_calls, "call", "calls")
            ),
        );
    };
    let evidence = if x >= MIN_BURST_CALLS {
        CALL_VOLUME.apply(expect.z(x)) * cx.strength
    } else {
        0.0
    };
    let detail = volume_words(x, &expect, what, evidence > 0.0);
    factor("call_volume", x, expect.typical(), evidence, detail)
}

fn volume_words(x: f64, e: &LogExpectation, what: &str, unusual: bool) -> String {
    let calls = plural(x, "call", "calls");
    if unusual {
        format!(
            "call volume {} the rolling baseline for this hour ({} {calls} {what} in the last hour vs {})",
            human_ratio(e.ratio(x)),
            human_number(x),
            human_number(e.typical())
        )
    } else {
        format!(
            "call volume as usual ({} {calls} {what} in the last hour, baseline {})",
            human_number(x),
            human_number(e.typical())
        )
    }
}
