//! Evaluation: replay a stream of events through `Baselines` exactly as the
//! gateway would — score each call when it is decided (its result volume
//! not yet known), escalate it when the score reaches the threshold, and
//! train on it only if it ran (not escalated, or escalated and approved,
//! which teaches as an approval does) — then measure the scores against
//! the labels.
//!
//! Who approves an escalated call is the `Operator` model: by default the
//! label decides (an operator approves false alarms and rejects real
//! anomalies), which is what a deployment with attentive operators does.

mod metrics;
mod report;

pub use metrics::{
    auroc, average_precision, median, precision_at_budget, quantile, BudgetResult, Ranked,
};
pub use report::{EvalReport, KindReport};

use crate::{BaselineConfig, Baselines, ConfigError, Event};
use serde::Serialize;

/// How escalated (intercepted) calls are resolved during the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Operator {
    /// Approve unless the event is labelled anomalous.
    #[default]
    Label,
    /// Approve every escalated call (it trains the baseline).
    ApproveAll,
    /// Reject every escalated call (it never trains).
    RejectAll,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    pub config: BaselineConfig,
    /// Escalate (intercept) at or above this score.
    pub threshold: f64,
    /// Events escalated per day for the budget metric.
    pub budget: usize,
    pub operator: Operator,
    /// Keep each event's summary in words (for per-event output).
    pub details: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            config: BaselineConfig::default(),
            threshold: 0.7,
            budget: 10,
            operator: Operator::Label,
            details: false,
        }
    }
}

/// One event's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    #[serde(serialize_with = "as_rfc3339")]
    pub time: i64,
    pub agent: String,
    pub tool: String,
    pub score: f64,
    pub escalated: bool,
    pub trained: bool,
    pub learning: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

fn as_rfc3339<S: serde::Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::rfc3339(*t))
}

/// Replay `events` (sorted by time here, stably) and report.
pub fn evaluate(
    events: &[Event],
    options: &EvalOptions,
) -> Result<(Vec<Scored>, EvalReport), ConfigError> {
    let mut baselines = Baselines::new(options.config.clone())?;
    let mut order: Vec<&Event> = events.iter().collect();
    order.sort_by_key(|e| e.time);
    let mut scored = Vec::with_capacity(order.len());
    for e in order {
        let obs = e.observation();
        let assessment = baselines.assess(&obs.at_decision());
        let escalated = assessment.score >= options.threshold;
        let approved = match options.operator {
            Operator::Label => e.label != Some(true),
            Operator::ApproveAll => true,
            Operator::RejectAll => false,
        };
        let trained = !escalated || approved;
        if !escalated {
            baselines.update(&obs);
        } else if approved {
            baselines.update_approved(&obs);
        }
        scored.push(Scored {
            time: e.time,
            agent: e.agent.clone(),
            tool: e.tool.clone(),
            score: assessment.score,
            escalated,
            trained,
            learning: assessment.learning,
            label: e.label,
            kind: e.kind.clone(),
            incident: e.incident.clone(),
            summary: options.details.then(|| assessment.explain()),
        });
    }
    let report = EvalReport::from_scored(&scored, options);
    Ok((scored, report))
}
