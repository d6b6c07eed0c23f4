//! Prometheus metrics of the gateway, served by the control plane at
//! `/metrics`. Labels are bounded: verdicts, upstream names from config and
//! fixed outcome words, never agent-supplied strings.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabels {
    pub verdict: String,
    /// The agent's registered name (bounded by the agent registry).
    pub agent: String,
    /// `upstream.tool` for configured upstreams, `unknown` otherwise, so a
    /// name an agent makes up cannot grow the label set.
    pub tool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamLabels {
    pub upstream: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

pub struct Metrics {
    pub registry: Registry,
    pub decisions: Family<VerdictLabels, Counter>,
    pub decision_seconds: Histogram,
    pub upstream_calls: Family<UpstreamLabels, Counter>,
    pub upstream_seconds: Histogram,
    pub auth_failures: Family<ReasonLabels, Counter>,
    pub trace_failures: Counter,
    pub trace_append_seconds: Histogram,
    pub approvals_pending: Gauge,
    pub sessions: Gauge,
    /// Registries of components started beside the gateway (trace sinks),
    /// encoded after the gateway's own.
    attached: std::sync::RwLock<Vec<std::sync::Arc<Registry>>>,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("behavry");
        let decisions = Family::<VerdictLabels, Counter>::default();
        registry.register(
            "decisions",
            "Decisions by verdict, agent and tool",
            decisions.clone(),
        );
        let decision_seconds = Histogram::new(exponential_buckets(0.000_01, 2.0, 16));
        registry.register(
            "decision_duration_seconds",
            "Time to decide one call (policy + guards)",
            decision_seconds.clone(),
        );
        let upstream_calls = Family::<UpstreamLabels, Counter>::default();
        registry.register(
            "upstream_calls",
            "Forwarded calls by upstream and outcome",
            upstream_calls.clone(),
        );
        let upstream_seconds = Histogram::new(exponential_buckets(0.000_1, 2.0, 18));
        registry.register(
            "upstream_duration_seconds",
            "Upstream latency of forwarded calls",
            upstream_seconds.clone(),
        );
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "auth_failures",
            "Rejected agent credentials by reason",
            auth_failures.clone(),
        );
        let trace_failures = Counter::default();
        registry.register(
            "trace_write_failures",
            "Trace writes that failed (the call was denied)",
            trace_failures.clone(),
        );
        let trace_append_seconds = Histogram::new(exponential_buckets(0.000_01, 2.0, 18));
        registry.register(
            "trace_append_duration_seconds",
            "Time for a decision to be committed to the trace before its call is forwarded",
            trace_append_seconds.clone(),
        );
        let approvals_pending = Gauge::default();
        registry.register(
            "approvals_waiting",
            "Calls currently held for approval",
            approvals_pending.clone(),
        );
        let sessions = Gauge::default();
        registry.register("sessions", "Open downstream MCP sessions", sessions.clone());
        Metrics {
            registry,
            decisions,
            decision_seconds,
            upstream_calls,
            upstream_seconds,
            auth_failures,
            trace_failures,
            trace_append_seconds,
            approvals_pending,
            sessions,
            attached: std::sync::RwLock::new(Vec::new()),
        }
    }

    /// Serve another component's metrics from the same `/metrics`.
    pub fn attach(&self, registry: std::sync::Arc<Registry>) {
        match self.attached.write() {
            Ok(mut a) => a.push(registry),
            Err(poisoned) => poisoned.into_inner().push(registry),
        }
    }

    /// Render in the Prometheus text format.
    pub fn encode(&self) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let mut out = String::new();
        let attached = match self.attached.read() {
            Ok(a) => a.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let ok = encode_registry(&mut out, &self.registry).is_ok()
            && attached
                .iter()
                .all(|r| encode_registry(&mut out, r).is_ok())
            && encode_eof(&mut out).is_ok();
        if !ok {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
