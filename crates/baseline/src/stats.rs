//! Small running statistics with constant memory: exponentially weighted
//! mean and variance in log space (`LogStats`), an exponentially weighted
//! rate of "this was new" (`NoveltyRate`), and a sliding one-hour window of
//! calls and volume (`HourWindow`). The daily volume and its drift are in
//! `daily.rs`.
//!
//! Invariants: every value stays finite; non-finite inputs are ignored.

use serde::{Deserialize, Serialize};

/// Smallest standard deviation used in log space when turning a value into
/// a z-score: a factor of e^0.35 ≈ 1.4 is always within one deviation, so
/// a very regular agent is not flagged for ordinary jitter.
pub const MIN_LOG_SD: f64 = 0.35;

/// After this many values, updates are clipped to the mean ± 3 deviations
/// and such outliers leave the variance as it was, so a single extreme
/// value (or an attacker's ramp) moves the baseline only by a bounded step
/// and cannot widen it into looking normal.
const WINSORIZE_AFTER: u32 = 20;

/// Exponentially weighted mean and variance of `ln(1 + x)`. Counts and
/// volumes are heavy-tailed; in log space a factor of two is the same
/// distance at any scale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LogStats {
    pub n: u32,
    pub mean: f32,
    pub var: f32,
}

/// What a value is compared against: a mean and deviation in log space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogExpectation {
    pub mean: f64,
    pub sd: f64,
}

impl LogExpectation {
    /// The typical value in natural units (the geometric mean).
    pub fn typical(&self) -> f64 {
        self.mean.exp_m1().max(0.0)
    }

    /// How many deviations `x` lies above the mean (negative below).
    pub fn z(&self, x: f64) -> f64 {
        self.z_log(x.max(0.0).ln_1p())
    }

    /// The same for a value already in log space.
    pub fn z_log(&self, y: f64) -> f64 {
        (y - self.mean) / self.sd.max(MIN_LOG_SD)
    }

    /// `x` relative to the typical value, as people read it ("4.4×").
    pub fn ratio(&self, x: f64) -> f64 {
        (x.max(0.0) + 1.0) / (self.typical() + 1.0)
    }
}

impl LogStats {
    /// Add one value with weight `max(1/n, alpha)`: the first values are
    /// averaged evenly, later ones decay exponentially.
    pub fn push(&mut self, x: f64, alpha: f64) {
        if x.is_finite() {
            self.push_log(x.max(0.0).ln_1p(), alpha);
        }
    }

    /// Add a value with a weight in (0, 1]: its step is `weight` times an
    /// ordinary one (a weight of 0 or less adds nothing).
    pub fn push_weighted(&mut self, x: f64, alpha: f64, weight: f64) {
        if x.is_finite() {
            self.push_log_with(
                x.max(0.0).ln_1p(),
                alpha,
                weight,
                WINSORIZE_AFTER,
                MIN_LOG_SD,
            );
        }
    }

    /// Add a value already in log space (`ln(1 + x)`).
    pub fn push_log(&mut self, y: f64, alpha: f64) {
        self.push_log_with(y, alpha, 1.0, WINSORIZE_AFTER, MIN_LOG_SD);
    }

    /// Add a value in log space with a weight in (0, 1]; after
    /// `winsorize_after` values it is clipped to the mean ± 3 deviations
    /// (the deviation floored at `min_sd`), and a clipped value leaves the
    /// variance as it was.
    pub fn push_log_with(
        &mut self,
        y: f64,
        alpha: f64,
        weight: f64,
        winsorize_after: u32,
        min_sd: f64,
    ) {
        if !y.is_finite() || weight.is_nan() || weight <= 0.0 {
            return;
        }
        let mut y = y;
        self.n = self.n.saturating_add(1);
        if self.n == 1 {
            self.mean = y as f32;
            self.var = 0.0;
            return;
        }
        let mean = f64::from(self.mean);
        let var = f64::from(self.var);
        let mut outlier = false;
        if self.n > winsorize_after {
            let sd = var.sqrt().max(min_sd);
            let clamped = y.clamp(mean - 3.0 * sd, mean + 3.0 * sd);
            outlier = clamped != y;
            y = clamped;
        }
        let a = (1.0 / f64::from(self.n)).max(alpha) * weight.min(1.0);
        let d = y - mean;
        self.mean = (mean + a * d) as f32;
        if !outlier {
            self.var = ((1.0 - a) * (var + a * d * d)) as f32;
        }
    }

    pub fn expectation(&self) -> Option<LogExpectation> {
        (self.n > 0).then(|| LogExpectation {
            mean: f64::from(self.mean),
            sd: f64::from(self.var).max(0.0).sqrt(),
        })
    }
}

/// Blend an agent's own statistics with its peers': weight `w` on its own
/// (a two-component mixture, so disagreement widens the deviation).
pub fn blend(
    own: Option<LogExpectation>,
    peer: Option<LogExpectation>,
    w: f64,
) -> Option<LogExpectation> {
    match (own, peer) {
        (Some(o), Some(p)) => {
            let w = w.clamp(0.0, 1.0);
            let mean = w * o.mean + (1.0 - w) * p.mean;
            let var = w * o.sd * o.sd
                + (1.0 - w) * p.sd * p.sd
                + w * (1.0 - w) * (o.mean - p.mean).powi(2);
            Some(LogExpectation {
                mean,
                sd: var.sqrt(),
            })
        }
        (Some(o), None) => Some(o),
        (None, Some(p)) => Some(p),
        (None, None) => None,
    }
}

/// Exponentially weighted share of observations that were new (a first
/// tool, prefix or host). Starts at the first indicator and averages evenly
/// until `1/n` falls below `alpha`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct NoveltyRate {
    pub n: u32,
    pub p: f32,
}

impl NoveltyRate {
    pub fn push(&mut self, new: bool, alpha: f64) {
        self.n = self.n.saturating_add(1);
        let a = (1.0 / f64::from(self.n)).max(alpha);
        let x = if new { 1.0 } else { 0.0 };
        let p = f64::from(self.p);
        self.p = (p + a * (x - p)) as f32;
    }

    pub fn get(&self) -> Option<f64> {
        (self.n > 0).then_some(f64::from(self.p))
    }
}

/// Blend two novelty rates (weight `w` on the first), either may be absent.
pub fn blend_rate(own: Option<f64>, peer: Option<f64>, w: f64) -> Option<f64> {
    match (own, peer) {
        (Some(o), Some(p)) => Some(w.clamp(0.0, 1.0) * o + (1.0 - w.clamp(0.0, 1.0)) * p),
        (o, p) => o.or(p),
    }
}

/// A bucket that was closed when the window moved on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClosedHour {
    pub calls: f64,
}

/// Calls and result volumes in the current and the previous clock hour;
/// the sliding hour ending now is estimated as the current bucket plus the
/// previous bucket weighted by the part of it still inside the hour.
/// Volumes are kept as the sum of `ln(1 + v)` and the number of calls
/// that reported one, so the window yields the geometric mean per call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HourWindow {
    /// Hour index (hours since the epoch, local time) of the current bucket.
    pub hour: i64,
    pub calls: f32,
    pub log_volume: f32,
    pub volume_calls: f32,
    pub prev_calls: f32,
    pub prev_log_volume: f32,
    pub prev_volume_calls: f32,
}

/// What the sliding hour holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sliding {
    pub calls: f64,
    pub log_volume: f64,
    pub volume_calls: f64,
}

impl Sliding {
    /// Geometric mean of `1 + volume` per call, in log space, counting
    /// `extra` (a known volume of the call being scored).
    pub fn mean_log_volume(&self, extra: Option<f64>) -> Option<f64> {
        let (sum, n) = match extra.filter(|v| v.is_finite() && *v >= 0.0) {
            Some(v) => (self.log_volume + v.ln_1p(), self.volume_calls + 1.0),
            None => (self.log_volume, self.volume_calls),
        };
        (n > 0.0).then(|| sum / n)
    }
}

impl HourWindow {
    /// Move the window to `hour`. Returns the bucket being closed when it
    /// held calls. A time earlier than the current bucket counts as now.
    pub fn advance(&mut self, hour: i64) -> Option<ClosedHour> {
        if hour <= self.hour {
            return None;
        }
        let closed = (self.calls > 0.0).then(|| ClosedHour {
            calls: f64::from(self.calls),
        });
        if hour == self.hour + 1 {
            self.prev_calls = self.calls;
            self.prev_log_volume = self.log_volume;
            self.prev_volume_calls = self.volume_calls;
        } else {
            self.prev_calls = 0.0;
            self.prev_log_volume = 0.0;
            self.prev_volume_calls = 0.0;
        }
        self.hour = hour;
        self.calls = 0.0;
        self.log_volume = 0.0;
        self.volume_calls = 0.0;
        closed
    }

    /// Count one call with `weight` (1 for an allowed call; see
    /// `learn::habit_weight` for approved ones).
    pub fn add(&mut self, volume: Option<f64>, weight: f32) {
        if weight.is_nan() || weight <= 0.0 {
            return;
        }
        self.calls += weight;
        if let Some(v) = volume.filter(|v| v.is_finite() && *v >= 0.0) {
            self.log_volume += weight * v.ln_1p() as f32;
            self.volume_calls += weight;
        }
    }

    /// The sliding hour ending at `hour` + `fraction`.
    pub fn sliding(&self, hour: i64, fraction: f64) -> Sliding {
        let rest = (1.0 - fraction).clamp(0.0, 1.0);
        let (cur, prev) = if hour <= self.hour {
            (1.0, rest)
        } else if hour == self.hour + 1 {
            // The current bucket has become the previous one.
            return Sliding {
                calls: f64::from(self.calls) * rest,
                log_volume: f64::from(self.log_volume) * rest,
                volume_calls: f64::from(self.volume_calls) * rest,
            };
        } else {
            (0.0, 0.0)
        };
        Sliding {
            calls: cur * f64::from(self.calls) + prev * f64::from(self.prev_calls),
            log_volume: cur * f64::from(self.log_volume) + prev * f64::from(self.prev_log_volume),
            volume_calls: cur * f64::from(self.volume_calls)
                + prev * f64::from(self.prev_volume_calls),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_stats_average_evenly_then_decay() {
        let mut s = LogStats::default();
        for x in [9.0, 9.0, 9.0] {
            s.push(x, 0.02);
        }
        let e = s.expectation().unwrap();
        assert!((e.typical() - 9.0).abs() < 1e-4);
        assert!(e.sd < 1e-3);
        assert!((e.ratio(39.0) - 4.0).abs() < 1e-4);
        assert!(e.z(39.0) > 3.0);
    }

    #[test]
    fn winsorizing_bounds_the_step_of_one_extreme_value() {
        let mut s = LogStats::default();
        for i in 0..100 {
            s.push(100.0 + f64::from(i % 7), 0.02);
        }
        let before = s.expectation().unwrap().mean;
        s.push(1e12, 0.02);
        let after = s.expectation().unwrap().mean;
        // At most alpha * 3 sd (sd floored at MIN_LOG_SD).
        assert!(after - before <= 0.02 * 3.0 * MIN_LOG_SD + 1e-6);
        s.push(f64::NAN, 0.02);
        assert_eq!(s.expectation().unwrap().mean, after);
    }

    #[test]
    fn blend_widens_on_disagreement() {
        let own = LogExpectation { mean: 1.0, sd: 0.1 };
        let peer = LogExpectation { mean: 3.0, sd: 0.1 };
        let b = blend(Some(own), Some(peer), 0.5).unwrap();
        assert!((b.mean - 2.0).abs() < 1e-9);
        assert!(b.sd > 0.9);
        assert_eq!(blend(Some(own), None, 0.1), Some(own));
        assert_eq!(blend(None, None, 0.1), None);
    }

    #[test]
    fn novelty_rate_tracks_share_of_new() {
        let mut r = NoveltyRate::default();
        r.push(true, 0.01);
        assert_eq!(r.get(), Some(1.0));
        for _ in 0..99 {
            r.push(false, 0.01);
        }
        assert!((r.get().unwrap() - 0.01).abs() < 1e-4);
    }

    #[test]
    fn hour_window_slides_and_closes() {
        let mut w = HourWindow::default();
        assert_eq!(w.advance(100), None);
        w.add(Some(99.0), 1.0);
        w.add(None, 1.0);
        let s = w.sliding(100, 0.5);
        assert_eq!((s.calls, s.volume_calls), (2.0, 1.0));
        assert!((s.mean_log_volume(None).unwrap() - 100f64.ln()).abs() < 1e-5);
        // The call being scored counts when its volume is known.
        let with = s.mean_log_volume(Some(9.0)).unwrap();
        assert!((with - (100f64.ln() + 10f64.ln()) / 2.0).abs() < 1e-5);
        assert_eq!(w.advance(101), Some(ClosedHour { calls: 2.0 }));
        w.add(None, 1.0);
        // previous bucket weighted by the quarter of it still in the hour
        let s = w.sliding(101, 0.75);
        assert_eq!((s.calls, s.volume_calls), (1.5, 0.25));
        let s = w.sliding(102, 0.5);
        assert_eq!(s.calls, 0.5);
        assert_eq!(w.sliding(105, 0.0).calls, 0.0);
        assert_eq!(w.sliding(105, 0.0).mean_log_volume(None), None);
        assert_eq!(w.advance(110), Some(ClosedHour { calls: 1.0 }));
        assert_eq!(w.sliding(110, 0.0).calls, 0.0);
        assert_eq!(w.advance(105), None);
    }
}
