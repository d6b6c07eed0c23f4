//! The time-of-week feature: a decayed hour-of-week histogram of the hours
//! in which the agent was active, smoothed into a probability over the 168
//! hours of a week, and its rendering in words ("usually active
//! 08:00–18:00, Monday–Friday").
//!
//! Presence, not calls: an hour counts once however many calls it held, so
//! one busy night is one night — it does not teach the baseline that
//! nights are normal.
//!
//! Smoothing: each hour takes its own count, half of each neighbour's and a
//! quarter of the next ones (within the week, wrapping), plus 0.15 × the
//! average of the same clock hour over the seven days — so a Tuesday 10:00
//! seen only on Mondays and Wednesdays is not "never seen".

use crate::observation::{HOURS_PER_WEEK, WEEKDAYS};
use serde::{Deserialize, Serialize};

const KERNEL: [(isize, f64); 5] = [(-2, 0.25), (-1, 0.5), (0, 1.0), (1, 0.5), (2, 0.25)];
const SAME_HOUR_WEIGHT: f64 = 0.15;
/// Share of the calls the rendered "usual hours" interval covers.
const ACTIVE_SHARE: f64 = 0.95;
/// A weekday with less than this share of the calls is not a usual day.
const DAY_SHARE: f64 = 0.04;

/// Decayed counts of active hours per hour of the week (local time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekHistogram {
    bins: Vec<f32>,
    /// Hour index up to which the bins have been decayed.
    decayed_to: i64,
    /// Hour index last counted (an hour counts once).
    last_counted: i64,
    /// Weight already counted for `last_counted`.
    #[serde(default = "full_weight")]
    last_weight: f32,
}

fn full_weight() -> f32 {
    1.0
}

impl Default for WeekHistogram {
    fn default() -> Self {
        WeekHistogram {
            bins: vec![0.0; HOURS_PER_WEEK],
            decayed_to: 0,
            last_counted: i64::MIN,
            last_weight: 0.0,
        }
    }
}

impl WeekHistogram {
    /// Whether a restored histogram has the right shape.
    pub fn is_well_formed(&self) -> bool {
        self.bins.len() == HOURS_PER_WEEK && self.bins.iter().all(|b| b.is_finite() && *b >= 0.0)
    }

    /// Count activity at hour-of-week `how` with `weight` (1 for an
    /// allowed call), once per hour index: a later call in the same hour
    /// raises its count to the largest weight seen in it, never beyond.
    /// Older counts are decayed by the hours elapsed since the last count
    /// (half-life in hours).
    pub fn add(&mut self, how: usize, hour_index: i64, half_life_hours: f64, weight: f32) {
        if weight.is_nan() || weight <= 0.0 {
            return;
        }
        let already = if hour_index == self.last_counted {
            self.last_weight
        } else {
            0.0
        };
        let increment = weight.min(1.0) - already;
        if increment <= 0.0 {
            return;
        }
        self.last_counted = hour_index;
        self.last_weight = already + increment;
        if hour_index > self.decayed_to {
            if self.decayed_to != 0 {
                let elapsed = (hour_index - self.decayed_to) as f64;
                let factor = 0.5f64.powf(elapsed / half_life_hours) as f32;
                for b in &mut self.bins {
                    *b *= factor;
                }
            }
            self.decayed_to = hour_index;
        }
        if let Some(b) = self.bins.get_mut(how) {
            *b += increment;
        }
    }

    pub fn total(&self) -> f64 {
        self.bins.iter().map(|b| f64::from(*b)).sum()
    }

    /// The smoothed probability of each hour of the week, or `None` while
    /// nothing was counted.
    pub fn distribution(&self) -> Option<Vec<f64>> {
        if self.total() <= 0.0 || self.bins.len() != HOURS_PER_WEEK {
            return None;
        }
        let bin = |i: isize| -> f64 {
            let i = i.rem_euclid(HOURS_PER_WEEK as isize) as usize;
            self.bins.get(i).map_or(0.0, |b| f64::from(*b))
        };
        let mut same_hour = [0.0f64; 24];
        for (i, b) in self.bins.iter().enumerate() {
            if let Some(s) = same_hour.get_mut(i % 24) {
                *s += f64::from(*b) / 7.0;
            }
        }
        let mut out = Vec::with_capacity(HOURS_PER_WEEK);
        for h in 0..HOURS_PER_WEEK {
            let mut v: f64 = KERNEL.iter().map(|(d, w)| w * bin(h as isize + d)).sum();
            v += SAME_HOUR_WEIGHT * same_hour.get(h % 24).copied().unwrap_or(0.0);
            out.push(v);
        }
        let sum: f64 = out.iter().sum();
        if sum <= 0.0 {
            return None;
        }
        for v in &mut out {
            *v /= sum;
        }
        Some(out)
    }

    /// Raw (decayed) counts per clock hour, all days together.
    pub fn by_hour_of_day(&self) -> [f64; 24] {
        let mut by_hour = [0.0f64; 24];
        for (i, b) in self.bins.iter().enumerate() {
            if let Some(h) = by_hour.get_mut(i % 24) {
                *h += f64::from(*b);
            }
        }
        by_hour
    }

    /// The agent's usual hours and days, from the raw counts.
    pub fn active_hours(&self) -> Option<ActiveHours> {
        let total = self.total();
        if total <= 0.0 {
            return None;
        }
        let mut by_hour = [0.0f64; 24];
        let mut by_day = [0.0f64; 7];
        for (i, b) in self.bins.iter().enumerate() {
            let b = f64::from(*b);
            if let Some(h) = by_hour.get_mut(i % 24) {
                *h += b;
            }
            if let Some(d) = by_day.get_mut(i / 24) {
                *d += b;
            }
        }
        // Shortest circular run of hours holding ACTIVE_SHARE of the calls.
        let mut best = (0usize, 24usize);
        for len in 1..=24 {
            let found = (0..24).find(|start| {
                let mass: f64 = (0..len).map(|k| by_hour[(start + k) % 24]).sum();
                mass >= ACTIVE_SHARE * total
            });
            if let Some(start) = found {
                best = (start, len);
                break;
            }
        }
        let days = (0..7).filter(|d| by_day[*d] >= DAY_SHARE * total).collect();
        Some(ActiveHours {
            start_hour: best.0,
            hours: best.1,
            days,
        })
    }
}

/// The usual activity window of an agent, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveHours {
    pub start_hour: usize,
    /// Length of the window in hours (24: around the clock).
    pub hours: usize,
    /// Weekdays (0 = Monday) with a real share of the calls.
    pub days: Vec<usize>,
}

impl std::fmt::Display for ActiveHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.hours >= 24 {
            f.write_str("around the clock")?;
        } else {
            let end = (self.start_hour + self.hours) % 24;
            write!(f, "{:02}:00–{end:02}:00", self.start_hour)?;
        }
        let days = &self.days;
        let name = |d: usize| WEEKDAYS.get(d).copied().unwrap_or("?");
        if days.len() == 7 {
            f.write_str(", every day")
        } else if days.len() >= 3 && days.windows(2).all(|w| w[1] == w[0] + 1) {
            let (first, last) = (days[0], days[days.len() - 1]);
            write!(f, ", {}–{}", name(first), name(last))
        } else {
            let list: Vec<&str> = days.iter().map(|d| name(*d)).collect();
            write!(f, ", {}", list.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office_hours() -> WeekHistogram {
        office_hours_with(5)
    }

    fn office_hours_with(calls_per_hour: usize) -> WeekHistogram {
        let mut h = WeekHistogram::default();
        for week in 0..4i64 {
            for day in 0..5usize {
                for hour in 8..18usize {
                    let index = 1000 + week * 168 + (day * 24 + hour) as i64;
                    for _ in 0..calls_per_hour {
                        h.add(day * 24 + hour, index, 24.0 * 28.0, 1.0);
                    }
                }
            }
        }
        h
    }

    #[test]
    fn office_hours_render_and_night_is_improbable() {
        let h = office_hours();
        // An hour counts once however many calls it held.
        assert_eq!(h.total(), office_hours_with(1).total());
        let active = h.active_hours().unwrap();
        assert_eq!(active.to_string(), "08:00–18:00, Monday–Friday");
        let p = h.distribution().unwrap();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let tuesday_10 = p[24 + 10];
        let sunday_3 = p[6 * 24 + 3];
        let saturday_10 = p[5 * 24 + 10];
        assert_eq!(sunday_3, 0.0);
        assert!(saturday_10 > 0.0 && saturday_10 < tuesday_10 / 10.0);
    }

    #[test]
    fn decay_halves_after_one_half_life() {
        let mut h = WeekHistogram::default();
        h.add(0, 100, 10.0, 1.0);
        h.add(1, 110, 10.0, 1.0);
        assert!((h.total() - 1.5).abs() < 1e-6);
        assert!(h.is_well_formed());
    }

    #[test]
    fn a_weighted_hour_counts_its_largest_weight_once() {
        let mut h = WeekHistogram::default();
        h.add(3, 200, 1e9, 0.0);
        assert_eq!(h.total(), 0.0);
        h.add(3, 200, 1e9, 0.25);
        h.add(3, 200, 1e9, 0.25);
        assert!((h.total() - 0.25).abs() < 1e-6);
        h.add(3, 200, 1e9, 1.0);
        h.add(3, 200, 1e9, 1.0);
        assert!((h.total() - 1.0).abs() < 1e-6);
        h.add(4, 201, 1e9, 0.25);
        assert!((h.total() - 1.25).abs() < 1e-6);
    }

    #[test]
    fn rendering_cases() {
        let cases = [
            (
                ActiveHours {
                    start_hour: 22,
                    hours: 8,
                    days: vec![0, 1, 2, 3, 4, 5, 6],
                },
                "22:00–06:00, every day",
            ),
            (
                ActiveHours {
                    start_hour: 0,
                    hours: 24,
                    days: vec![5, 6],
                },
                "around the clock, Saturday, Sunday",
            ),
        ];
        for (a, expected) in cases {
            assert_eq!(a.to_string(), expected);
        }
    }
}
