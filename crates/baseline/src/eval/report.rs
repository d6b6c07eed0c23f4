//! The evaluation summary: overall metrics, a breakdown per anomaly kind,
//! and its rendering as a table for people (`--json` serialises the same
//! struct).

use super::metrics::{auroc, average_precision, median, precision_at_budget, quantile, Ranked};
use super::{EvalOptions, Scored};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Metrics for one anomaly kind (its anomalies against all normal events).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindReport {
    pub kind: String,
    pub events: usize,
    pub incidents: usize,
    pub incidents_detected: usize,
    pub auroc: Option<f64>,
    pub auprc: Option<f64>,
    /// Share of this kind's events escalated at the threshold.
    pub event_recall: Option<f64>,
    pub delay_events_median: Option<f64>,
    pub delay_minutes_median: Option<f64>,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub events: usize,
    pub labelled: usize,
    pub anomalous: usize,
    pub agents: usize,
    pub agent_days: usize,
    pub threshold: f64,
    pub budget: usize,
    pub auroc: Option<f64>,
    pub auprc: Option<f64>,
    /// Share of labelled events that are anomalous: the AUPRC of chance.
    pub base_rate: Option<f64>,
    pub precision_at_budget: Option<f64>,
    pub budget_selected: usize,
    pub incidents: usize,
    pub incidents_caught_at_budget: usize,
    pub escalations: usize,
    pub escalations_per_agent_day: Option<f64>,
    pub false_escalations: usize,
    pub false_escalations_per_agent_day: Option<f64>,
    pub precision_at_threshold: Option<f64>,
    pub event_recall_at_threshold: Option<f64>,
    pub incidents_detected: usize,
    /// Events from an incident's first event to its first escalation
    /// (0: the first event was escalated), over detected incidents.
    pub delay_events_median: Option<f64>,
    pub delay_minutes_median: Option<f64>,
    pub normal_score_p50: Option<f64>,
    pub normal_score_p99: Option<f64>,
    pub per_kind: Vec<KindReport>,
}

struct Incident {
    kind: String,
    start: i64,
    /// (events before the first escalation, minutes) when detected.
    detected: Option<(usize, f64)>,
    seen: usize,
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl EvalReport {
    pub fn from_scored(scored: &[Scored], options: &EvalOptions) -> Self {
        let offset = i64::from(options.config.utc_offset_seconds);
        let day_of = |t: i64| (t + offset).div_euclid(86_400);
        let anomalous = |s: &Scored| s.label == Some(true);
        let normal = |s: &Scored| s.label == Some(false);

        let labelled: Vec<(f64, bool)> = scored
            .iter()
            .filter(|s| s.label.is_some())
            .map(|s| (s.score, anomalous(s)))
            .collect();
        let agents: BTreeSet<&str> = scored.iter().map(|s| s.agent.as_str()).collect();
        let agent_days: BTreeSet<(&str, i64)> = scored
            .iter()
            .map(|s| (s.agent.as_str(), day_of(s.time)))
            .collect();

        // Incidents, in time order.
        let mut incidents: BTreeMap<String, Incident> = BTreeMap::new();
        for s in scored.iter().filter(|s| anomalous(s)) {
            let kind = s.kind.clone().unwrap_or_else(|| "unspecified".to_string());
            let id = s
                .incident
                .clone()
                .unwrap_or_else(|| format!("{}/{kind}", s.agent));
            let inc = incidents.entry(id).or_insert(Incident {
                kind,
                start: s.time,
                detected: None,
                seen: 0,
            });
            if s.escalated && inc.detected.is_none() {
                inc.detected = Some((inc.seen, (s.time - inc.start) as f64 / 60.0));
            }
            inc.seen += 1;
        }

        let ranked: Vec<Ranked> = scored
            .iter()
            .map(|s| Ranked {
                day: day_of(s.time),
                score: s.score,
                anomalous: anomalous(s),
                incident: s.incident.as_deref(),
            })
            .collect();
        let budget = precision_at_budget(&ranked, options.budget);
        let escalations = scored.iter().filter(|s| s.escalated).count();
        let false_escalations = scored.iter().filter(|s| s.escalated && normal(s)).count();
        let true_escalations = scored
            .iter()
            .filter(|s| s.escalated && anomalous(s))
            .count();
        let n_anomalous = scored.iter().filter(|s| anomalous(s)).count();
        let normal_scores: Vec<f64> = scored
            .iter()
            .filter(|s| normal(s))
            .map(|s| s.score)
            .collect();
        let delays = |it: &mut dyn Iterator<Item = &Incident>| -> (Vec<f64>, Vec<f64>) {
            it.filter_map(|i| i.detected)
                .map(|(e, m)| (e as f64, m))
                .unzip()
        };
        let (delay_events, delay_minutes) = delays(&mut incidents.values());

        let kinds: BTreeSet<&str> = incidents.values().map(|i| i.kind.as_str()).collect();
        let per_kind = kinds
            .into_iter()
            .map(|kind| {
                let of_kind =
                    |s: &Scored| anomalous(s) && s.kind.as_deref().unwrap_or("unspecified") == kind;
                let pts: Vec<(f64, bool)> = scored
                    .iter()
                    .filter(|s| normal(s) || of_kind(s))
                    .map(|s| (s.score, of_kind(s)))
                    .collect();
                let events = scored.iter().filter(|s| of_kind(s)).count();
                let escalated = scored.iter().filter(|s| of_kind(s) && s.escalated).count();
                let mut these = incidents.values().filter(|i| i.kind == kind);
                let (de, dm) = delays(&mut these);
                let total = incidents.values().filter(|i| i.kind == kind).count();
                KindReport {
                    kind: kind.to_string(),
                    events,
                    incidents: total,
                    incidents_detected: de.len(),
                    auroc: auroc(&pts),
                    auprc: average_precision(&pts),
                    event_recall: ratio(escalated, events),
                    delay_events_median: median(&de),
                    delay_minutes_median: median(&dm),
                }
            })
            .collect();

        EvalReport {
            events: scored.len(),
            labelled: labelled.len(),
            anomalous: n_anomalous,
            agents: agents.len(),
            agent_days: agent_days.len(),
            threshold: options.threshold,
            budget: options.budget,
            auroc: auroc(&labelled),
            auprc: average_precision(&labelled),
            base_rate: ratio(n_anomalous, labelled.len()),
            precision_at_budget: budget.precision,
            budget_selected: budget.selected,
            incidents: incidents.len(),
            incidents_caught_at_budget: budget.incidents_caught,
            escalations,
            escalations_per_agent_day: ratio(escalations, agent_days.len()),
            false_escalations,
            false_escalations_per_agent_day: ratio(false_escalations, agent_days.len()),
            precision_at_threshold: ratio(true_escalations, true_escalations + false_escalations),
            event_recall_at_threshold: ratio(true_escalations, n_anomalous),
            incidents_detected: delay_events.len(),
            delay_events_median: median(&delay_events),
            delay_minutes_median: median(&delay_minutes),
            normal_score_p50: quantile(&normal_scores, 0.5),
            normal_score_p99: quantile(&normal_scores, 0.99),
            per_kind,
        }
    }

    /// The report as a table for people.
    pub fn to_table(&self) -> String {
        let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
        let f1 = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1}"));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "events {} ({} labelled, {} anomalous in {} incidents), {} agents, {} agent-days",
            self.events,
            self.labelled,
            self.anomalous,
            self.incidents,
            self.agents,
            self.agent_days
        );
        let _ = writeln!(out);
        let rows = [
            (
                "AUPRC",
                format!("{} (chance {})", f(self.auprc), f(self.base_rate)),
            ),
            ("AUROC", f(self.auroc)),
            (
                "precision at daily budget",
                format!(
                    "{} (top {} per day, {} selected; {} of {} incidents caught)",
                    f(self.precision_at_budget),
                    self.budget,
                    self.budget_selected,
                    self.incidents_caught_at_budget,
                    self.incidents
                ),
            ),
            (
                "escalations at threshold",
                format!(
                    "{} at score ≥ {} ({} per agent-day)",
                    self.escalations,
                    self.threshold,
                    f(self.escalations_per_agent_day)
                ),
            ),
            (
                "false escalations per agent-day",
                format!(
                    "{} ({} in all)",
                    f(self.false_escalations_per_agent_day),
                    self.false_escalations
                ),
            ),
            ("precision at threshold", f(self.precision_at_threshold)),
            (
                "event recall at threshold",
                f(self.event_recall_at_threshold),
            ),
            (
                "incidents detected",
                format!("{} of {}", self.incidents_detected, self.incidents),
            ),
            (
                "detection delay (median)",
                format!(
                    "{} events, {} minutes",
                    f1(self.delay_events_median),
                    f1(self.delay_minutes_median)
                ),
            ),
            (
                "normal score p50 / p99",
                format!(
                    "{} / {}",
                    f(self.normal_score_p50),
                    f(self.normal_score_p99)
                ),
            ),
        ];
        for (k, v) in rows {
            let _ = writeln!(out, "  {k:<33} {v}");
        }
        if !self.per_kind.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "  {:<16} {:>6} {:>9} {:>8} {:>7} {:>7} {:>8} {:>13}",
                "kind",
                "events",
                "incidents",
                "detected",
                "AUPRC",
                "AUROC",
                "recall",
                "delay ev/min"
            );
            for k in &self.per_kind {
                let _ = writeln!(
                    out,
                    "  {:<16} {:>6} {:>9} {:>8} {:>7} {:>7} {:>8} {:>13}",
                    k.kind,
                    k.events,
                    k.incidents,
                    k.incidents_detected,
                    f(k.auprc),
                    f(k.auroc),
                    f(k.event_recall),
                    format!(
                        "{}/{}",
                        f1(k.delay_events_median),
                        f1(k.delay_minutes_median)
                    )
                );
            }
        }
        out
    }
}
