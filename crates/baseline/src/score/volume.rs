//! The volume factors of an agent-tool pair: the result volume of the
//! hour against the per-call baseline (`result_volume`), today's volume
//! per call against past days' (`volume_trend`), and a rise sustained
//! over days (`volume_drift`, see daily.rs). The last two form one group
//! in the combination: a ramp is one anomaly, however both see it.

use super::*;

/// Result volume per call of the agent-tool pair over the sliding hour
/// (geometric mean; the current call's own volume counts when it is
/// already known), against the pair's per-call baseline. The deviation
/// of a mean of `k` calls is `sqrt(sd_call² / k + sd_day²)`: several large
/// results in an hour say more than one, but never more than the usual
/// day-to-day swing allows.
pub(super) fn result_volume(cx: &Cx) -> Option<Factor> {
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
            "result volume {} the rolling baseline for this hour ({} vs {} per call)",
            human_ratio((y - expect.mean).exp()),
            human_number(observed),
            human_number(expect.typical())
        )
    } else {
        format!(
            "result volume within the rolling baseline ({} per call in the last hour, baseline {})",
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
    match tool.daily.reference() {
        Some(day) => (call_sd.powi(2) / k.max(1.0) + day.sd.max(MIN_DAILY_SD).powi(2)).sqrt(),
        _ => call_sd / k.clamp(1.0, MAX_WINDOW_CALLS).sqrt(),
    }
}

/// Today's result volume per call for the pair against the past days'
/// (a slow reference, so a gradual ramp that the per-call baseline keeps
/// up with still stands out).
pub(super) fn volume_trend(cx: &Cx) -> Option<Factor> {
    let tool = cx.tool?;
    let expect = tool.daily.reference()?;
    let (calls, y) = tool
        .daily
        .today(cx.d.hour.div_euclid(24), cx.obs.usable_volume());
    let y = y?;
    let z = tool
        .daily
        .standardised(y, calls, per_call_sd(tool))
        .unwrap_or(0.0);
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

/// The pair's per-call deviation of result volume (log space, floored).
fn per_call_sd(tool: &ToolProfile) -> f64 {
    tool.volume
        .expectation()
        .map_or(0.0, |e| e.sd.max(MIN_LOG_SD))
}

/// A rise of the pair's volume per call sustained over days: the drift
/// statistic of `DailyVolume` (observed, in deviations accumulated over
/// the recent days; 0 when volume is as usual) against the past weeks'
/// reference, counting today's calls so far.
pub(super) fn volume_drift(cx: &Cx) -> Option<Factor> {
    let tool = cx.tool?;
    let reference = tool.daily.reference()?;
    let drift = tool.daily.drift_at(
        cx.d.hour.div_euclid(24),
        cx.obs.usable_volume(),
        per_call_sd(tool),
    );
    let evidence = DRIFT.apply(drift) * cx.strength;
    let detail = if evidence > 0.0 {
        format!(
            "volume per call rising for days (sustained excess of {} deviations over the past weeks' baseline of {} per call)",
            human_number(drift),
            human_number(reference.typical())
        )
    } else {
        format!(
            "no sustained rise of volume per call (baseline of the past weeks {})",
            human_number(reference.typical())
        )
    };
    Some(factor("volume_drift", drift, 0.0, evidence, detail))
}
