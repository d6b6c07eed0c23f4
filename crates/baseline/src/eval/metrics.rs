//! Detection metrics over scored, labelled events. Pure functions over
//! slices; each returns `None` when it is undefined (no positives, no
//! negatives, nothing selected).

use std::collections::{BTreeMap, BTreeSet};

/// Area under the ROC curve: the probability that a random anomalous event
/// scores above a random normal one, ties counting one half
/// (Mann–Whitney U with average ranks).
pub fn auroc(points: &[(f64, bool)]) -> Option<f64> {
    let positives = points.iter().filter(|(_, p)| *p).count();
    let negatives = points.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].0 == sorted[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        let pos_in_group = sorted[i..=j].iter().filter(|(_, p)| *p).count();
        rank_sum += avg_rank * pos_in_group as f64;
        i = j + 1;
    }
    let p = positives as f64;
    let u = rank_sum - p * (p + 1.0) / 2.0;
    Some(u / (p * negatives as f64))
}

/// Average precision (area under the precision–recall curve, step-wise):
/// Σ over thresholds of (recall gained) × (precision there). Tied scores
/// form one threshold.
pub fn average_precision(points: &[(f64, bool)]) -> Option<f64> {
    let positives = points.iter().filter(|(_, p)| *p).count();
    if positives == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = points.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut fp, mut ap) = (0usize, 0usize, 0.0);
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].0 == sorted[i].0 {
            j += 1;
        }
        let pos = sorted[i..=j].iter().filter(|(_, p)| *p).count();
        tp += pos;
        fp += (j + 1 - i) - pos;
        if pos > 0 {
            ap += (pos as f64 / positives as f64) * (tp as f64 / (tp + fp) as f64);
        }
        i = j + 1;
    }
    Some(ap)
}

/// One event as the budget metric sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked<'a> {
    pub day: i64,
    pub score: f64,
    pub anomalous: bool,
    pub incident: Option<&'a str>,
}

/// The result of escalating the top `budget` events of each day.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetResult {
    pub selected: usize,
    pub true_positives: usize,
    /// Share of the selected events that were anomalous.
    pub precision: Option<f64>,
    /// Incidents with at least one event selected.
    pub incidents_caught: usize,
}

/// Escalate the `budget` highest-scored events of each day (ties broken by
/// order of appearance) and measure what that catches.
pub fn precision_at_budget(events: &[Ranked], budget: usize) -> BudgetResult {
    let mut by_day: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        by_day.entry(e.day).or_default().push(i);
    }
    let (mut selected, mut tp) = (0usize, 0usize);
    let mut caught: BTreeSet<&str> = BTreeSet::new();
    for (_, mut idx) in by_day {
        idx.sort_by(|a, b| events[*b].score.total_cmp(&events[*a].score).then(a.cmp(b)));
        for i in idx.into_iter().take(budget) {
            selected += 1;
            if events[i].anomalous {
                tp += 1;
                if let Some(inc) = events[i].incident {
                    caught.insert(inc);
                }
            }
        }
    }
    BudgetResult {
        selected,
        true_positives: tp,
        precision: (selected > 0).then(|| tp as f64 / selected as f64),
        incidents_caught: caught.len(),
    }
}

/// Median of a list (mean of the two middle values for an even length).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// The q-quantile (0..=1) by nearest rank.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn auroc_hand_computed() {
        // Pairs (pos, neg): 0.9>0.8, 0.9>0.1, 0.7<0.8, 0.7>0.1 → 3/4.
        let pts = [(0.9, true), (0.8, false), (0.7, true), (0.1, false)];
        assert!(close(auroc(&pts), 0.75));
        assert!(close(auroc(&[(0.5, true), (0.5, false)]), 0.5));
        assert!(close(auroc(&[(0.9, true), (0.1, false)]), 1.0));
        assert!(close(auroc(&[(0.1, true), (0.9, false)]), 0.0));
        // One tie among three pairs: (1 + 1 + 0.5) / 3.
        let tie = [(0.8, true), (0.5, true), (0.5, false)];
        assert!(close(auroc(&tie), 0.75));
        assert_eq!(auroc(&[(0.3, true)]), None);
        assert_eq!(auroc(&[(0.3, false)]), None);
    }

    #[test]
    fn average_precision_hand_computed() {
        // Recall 0.5 at precision 1, then recall 1 at precision 2/3.
        let pts = [(0.9, true), (0.8, false), (0.7, true), (0.1, false)];
        assert!(close(average_precision(&pts), 0.5 + 0.5 * 2.0 / 3.0));
        // A tie of one positive and one negative is one threshold: P = 1/2.
        assert!(close(average_precision(&[(0.5, true), (0.5, false)]), 0.5));
        assert!(close(average_precision(&[(0.9, true), (0.2, false)]), 1.0));
        assert_eq!(average_precision(&[(0.9, false)]), None);
    }

    #[test]
    fn budget_takes_top_k_per_day() {
        let ev = |day, score, anomalous, incident| Ranked {
            day,
            score,
            anomalous,
            incident,
        };
        let events = [
            ev(0, 0.9, true, Some("a")),
            ev(0, 0.8, false, None),
            ev(0, 0.7, true, Some("a")),
            ev(1, 0.2, false, None),
            ev(1, 0.95, true, Some("b")),
        ];
        let r = precision_at_budget(&events, 1);
        assert_eq!(
            (r.selected, r.true_positives, r.incidents_caught),
            (2, 2, 2)
        );
        assert!(close(r.precision, 1.0));
        let r = precision_at_budget(&events, 2);
        assert_eq!((r.selected, r.true_positives), (4, 2));
        assert!(close(r.precision, 0.5));
        assert_eq!(precision_at_budget(&[], 3).precision, None);
    }

    #[test]
    fn median_and_quantile() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
    }

    proptest::proptest! {
        #[test]
        fn metrics_stay_in_unit_range(pts in proptest::collection::vec((0.0f64..1.0, proptest::bool::ANY), 1..60)) {
            if let Some(a) = auroc(&pts) {
                proptest::prop_assert!((0.0..=1.0).contains(&a));
                // Flipping scores flips the AUROC.
                let flipped: Vec<(f64, bool)> = pts.iter().map(|(s, l)| (1.0 - s, *l)).collect();
                let b = auroc(&flipped).unwrap_or(f64::NAN);
                proptest::prop_assert!((a + b - 1.0).abs() < 1e-9);
            }
            if let Some(ap) = average_precision(&pts) {
                proptest::prop_assert!(ap > 0.0 && ap <= 1.0 + 1e-12);
            }
        }
    }
}
