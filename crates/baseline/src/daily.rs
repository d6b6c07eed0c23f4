//! The daily result volume of one agent-tool pair: today's running mean
//! per call, the statistics of past days' means (the slow reference a
//! gradual change is measured against), and a drift statistic that
//! accumulates evidence of a sustained rise across days.
//!
//! Drift is a leaky one-sided CUSUM of each day's standardised excess
//! `z` over the reference:
//!
//! `drift = clamp(LEAK × drift + min(z, STEP_MAX) − SLACK, 0, DRIFT_MAX)`
//!
//! One odd day (`z` capped at 3) adds at most 2.5; a rise that persists for
//! days keeps adding, so it is found even when each day alone looks
//! ordinary, while the leak lets it fade within days once volume is back
//! to usual. A constant excess `c` settles at `(c − SLACK) / (1 − LEAK)`.
//!
//! The reference is protected from the change it measures: after
//! `MIN_TREND_DAYS` days a day's mean is clipped to the reference's mean
//! ± 3 deviations before it is folded in (and a clipped day leaves the
//! deviation as it was), so a ramp moves the reference by bounded steps.

use crate::stats::{LogExpectation, LogStats};
use serde::{Deserialize, Serialize};

/// Days with fewer calls reporting a volume do not enter the statistics.
pub const MIN_CALLS_PER_DAY: f32 = 3.0;
/// Days of history before the daily trend and drift are judged.
pub const MIN_TREND_DAYS: u32 = 5;
/// Smallest deviation of the daily mean volume per call (log space).
pub const MIN_DAILY_SD: f64 = 0.25;
/// Excess (in deviations) a day must exceed to add to the drift.
const SLACK: f64 = 0.5;
/// Share of the drift carried over to the next day.
const LEAK: f64 = 0.7;
/// Largest excess one day can add (before the slack).
const STEP_MAX: f64 = 3.0;
/// Upper bound of the drift.
const DRIFT_MAX: f64 = 10.0;

/// Result volumes of one local day, past days' mean volume per call, and
/// the drift of the pair's volume.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyVolume {
    /// Day index (days since the epoch, local time) of `log_sum` / `calls`.
    pub day: i64,
    pub log_sum: f32,
    pub calls: f32,
    /// Past days' mean `ln(1 + volume)` per call.
    pub days: LogStats,
    /// Leaky CUSUM of past days' standardised excess (≥ 0).
    #[serde(default)]
    pub drift: f32,
    /// Today's calls' missing habit weight, Σ (1 − weight): a day's mean
    /// enters the reference at weight `1 − unweighted / calls`.
    #[serde(default)]
    pub unweighted: f32,
}

fn fold(drift: f64, z: f64) -> f64 {
    (LEAK * drift + z.min(STEP_MAX) - SLACK).clamp(0.0, DRIFT_MAX)
}

impl DailyVolume {
    /// The reference past days give, once there are enough of them.
    pub fn reference(&self) -> Option<LogExpectation> {
        (self.days.n >= MIN_TREND_DAYS)
            .then(|| self.days.expectation())
            .flatten()
    }

    /// How many deviations a day's mean of `calls` calls lies above the
    /// reference; the deviation combines the day-to-day spread with the
    /// per-call spread of a mean of `calls` values.
    pub fn standardised(&self, mean: f64, calls: f64, per_call_sd: f64) -> Option<f64> {
        let e = self.reference()?;
        let sd = (e.sd.max(MIN_DAILY_SD).powi(2) + per_call_sd.powi(2) / calls.max(1.0)).sqrt();
        Some((mean - e.mean) / sd)
    }

    /// Move to `day`; returns the closed day's mean log volume per call
    /// when it had enough calls (the caller folds it, also into the role).
    pub fn advance(&mut self, day: i64, alpha: f64, per_call_sd: f64) -> Option<f64> {
        if day <= self.day {
            return None;
        }
        let calls = f64::from(self.calls);
        let mean = (calls > 0.0).then(|| f64::from(self.log_sum) / calls);
        if let Some(z) = mean.and_then(|m| self.standardised(m, calls, per_call_sd)) {
            self.drift = fold(f64::from(self.drift), z) as f32;
        }
        let closed = mean.filter(|_| self.calls >= MIN_CALLS_PER_DAY);
        if let Some(mean) = closed {
            let weight = 1.0 - f64::from(self.unweighted) / calls.max(1.0);
            self.days
                .push_log_with(mean, alpha, weight, MIN_TREND_DAYS, MIN_DAILY_SD);
        }
        self.day = day;
        self.log_sum = 0.0;
        self.calls = 0.0;
        self.unweighted = 0.0;
        closed
    }

    /// Count one call's volume. Every call that ran counts in the day's
    /// mean and so in the drift (what is happening); its `weight` (1 for
    /// an allowed call, less for an approved one, see `learn`) only sets
    /// how much the day teaches the reference (what is normal).
    pub fn add(&mut self, volume: Option<f64>, weight: f32) {
        if let Some(v) = volume.filter(|v| v.is_finite() && *v >= 0.0) {
            self.log_sum += v.ln_1p() as f32;
            self.calls += 1.0;
            self.unweighted += 1.0 - weight.clamp(0.0, 1.0);
        }
    }

    /// Today's (calls, mean log volume per call) at `day`, counting `extra`.
    pub fn today(&self, day: i64, extra: Option<f64>) -> (f64, Option<f64>) {
        let (mut sum, mut n) = if day == self.day {
            (f64::from(self.log_sum), f64::from(self.calls))
        } else {
            (0.0, 0.0)
        };
        if let Some(v) = extra.filter(|v| v.is_finite() && *v >= 0.0) {
            sum += v.ln_1p();
            n += 1.0;
        }
        (n, (n > 0.0).then(|| sum / n))
    }

    /// The drift as of `day`: the stored value, with an ended day not yet
    /// folded (no call has trained since) and today's calls so far (and
    /// `extra`) folded in. A day of few calls weighs little: the per-call
    /// spread of its mean is large.
    pub fn drift_at(&self, day: i64, extra: Option<f64>, per_call_sd: f64) -> f64 {
        let mut drift = f64::from(self.drift);
        if day > self.day && self.calls > 0.0 {
            let calls = f64::from(self.calls);
            let mean = f64::from(self.log_sum) / calls;
            if let Some(z) = self.standardised(mean, calls, per_call_sd) {
                drift = fold(drift, z);
            }
        }
        let (n, today) = self.today(day, extra);
        if let Some(z) = today.and_then(|y| self.standardised(y, n, per_call_sd)) {
            drift = fold(drift, z);
        }
        drift
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_volume_folds_days_with_enough_calls() {
        let mut d = DailyVolume::default();
        d.advance(10, 0.1, 0.0);
        d.add(Some(99.0), 1.0);
        d.add(Some(99.0), 1.0);
        assert_eq!(d.advance(11, 0.1, 0.0), None); // two calls: not folded
        for _ in 0..3 {
            d.add(Some(99.0), 1.0);
        }
        assert_eq!(d.today(11, None).0, 3.0);
        let mean = d.advance(12, 0.1, 0.0).unwrap();
        assert!((mean - 100f64.ln()).abs() < 1e-5);
        assert_eq!(d.days.n, 1);
        let (n, today) = d.today(12, Some(9.0));
        assert_eq!(n, 1.0);
        assert!((today.unwrap() - 10f64.ln()).abs() < 1e-9);
        assert_eq!(d.today(13, None), (0.0, None));
    }

    /// `days` days of ten calls each, day `i` with volume `volume(i)`.
    fn run(days: i64, volume: impl Fn(i64) -> f64) -> Vec<f64> {
        let mut d = DailyVolume::default();
        let mut drift = Vec::new();
        for day in 0..days {
            d.advance(day, 0.05, 0.3);
            for call in 0..10 {
                let jitter = 1.0 + 0.1 * f64::from((call * 7 + day as i32) % 5 - 2);
                d.add(Some(volume(day) * jitter), 1.0);
            }
            drift.push(d.drift_at(day, None, 0.3));
        }
        drift
    }

    #[test]
    fn steady_volume_has_no_drift() {
        let drift = run(60, |day| 1000.0 * (1.0 + 0.2 * ((day % 3) as f64 - 1.0)));
        assert!(drift.iter().all(|d| *d < 2.0), "{drift:?}");
    }

    #[test]
    fn a_ramp_accumulates_and_a_single_odd_day_does_not() {
        // Four weeks steady, then 12 % more every day.
        let ramp = run(45, |day| 1000.0 * 1.12f64.powf((day - 28).max(0) as f64));
        assert!(ramp[27] < 1.0);
        let found = ramp.iter().position(|d| *d >= 5.0).unwrap();
        assert!((30..=40).contains(&found), "ramp found on day {found}");
        // One day at 4×, then back to usual: the drift fades.
        let odd = run(40, |day| if day == 30 { 4000.0 } else { 1000.0 });
        assert!(odd[30] < 5.0, "{}", odd[30]);
        assert!(odd[33] < 1.0, "{}", odd[33]);
    }

    #[test]
    fn the_reference_moves_by_bounded_steps() {
        let mut d = DailyVolume::default();
        for day in 0..20 {
            d.advance(day, 0.05, 0.3);
            for _ in 0..5 {
                d.add(Some(1000.0), 1.0);
            }
        }
        let before = d.days.expectation().unwrap().mean;
        for _ in 0..5 {
            d.add(Some(1e9), 1.0);
        }
        d.advance(20, 0.05, 0.3);
        let step = d.days.expectation().unwrap().mean - before;
        assert!(step <= 0.05 * 3.0 * MIN_DAILY_SD + 1e-6, "{step}");
    }

    #[test]
    fn unweighted_calls_measure_the_day_but_do_not_teach_the_reference() {
        let mut d = DailyVolume::default();
        for day in 0..10 {
            d.advance(day, 0.05, 0.3);
            for _ in 0..5 {
                d.add(Some(1000.0), 1.0);
            }
        }
        d.advance(10, 0.05, 0.3);
        let reference = d.days;
        for day in 11..15 {
            for _ in 0..5 {
                d.add(Some(8000.0), 0.0);
            }
            d.advance(day, 0.05, 0.3);
        }
        assert_eq!(d.days.expectation(), reference.expectation());
        assert!(d.drift >= 5.0, "the rise is measured: {}", d.drift);
    }
}
