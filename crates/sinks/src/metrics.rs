//! Prometheus metrics of the trace sinks, labelled by sink name (from the
//! configuration, so bounded). Registered in their own registry, which the
//! `/metrics` endpoint encodes after the gateway's.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SinkLabels {
    pub sink: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

fn delivery_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

pub struct SinkMetrics {
    pub delivered: Family<SinkLabels, Counter>,
    pub failures: Family<SinkLabels, Counter>,
    pub dropped: Family<SinkLabels, Counter>,
    pub rejected: Family<SinkLabels, Counter>,
    pub backlog: Family<SinkLabels, Gauge>,
    pub backlog_age: Family<SinkLabels, FloatGauge>,
    pub last_success: Family<SinkLabels, FloatGauge>,
    pub retention_exceeded: Family<SinkLabels, Gauge>,
    pub delivery_seconds: Family<SinkLabels, Histogram, fn() -> Histogram>,
}

impl SinkMetrics {
    pub fn register(registry: &mut Registry) -> SinkMetrics {
        let m = SinkMetrics {
            delivered: Family::default(),
            failures: Family::default(),
            dropped: Family::default(),
            rejected: Family::default(),
            backlog: Family::default(),
            backlog_age: Family::default(),
            last_success: Family::default(),
            retention_exceeded: Family::default(),
            delivery_seconds: Family::new_with_constructor(delivery_histogram),
        };
        registry.register(
            "sink_delivered_records",
            "Trace records acknowledged by the sink's receiver",
            m.delivered.clone(),
        );
        registry.register(
            "sink_delivery_failures",
            "Failed delivery attempts (each is retried)",
            m.failures.clone(),
        );
        registry.register(
            "sink_dropped_records",
            "Records skipped because the backlog exceeded the sink's retention_records",
            m.dropped.clone(),
        );
        registry.register(
            "sink_rejected_records",
            "Records the receiver refused permanently (OTLP partial success)",
            m.rejected.clone(),
        );
        registry.register(
            "sink_backlog_records",
            "Trace records not yet acknowledged by the sink's receiver",
            m.backlog.clone(),
        );
        registry.register(
            "sink_backlog_age_seconds",
            "Age of the oldest record not yet acknowledged (0 when caught up)",
            m.backlog_age.clone(),
        );
        registry.register(
            "sink_last_success_timestamp_seconds",
            "Unix time of the last acknowledged delivery",
            m.last_success.clone(),
        );
        registry.register(
            "sink_retention_exceeded",
            "1 once the sink has skipped records because of retention_records",
            m.retention_exceeded.clone(),
        );
        registry.register(
            "sink_delivery_duration_seconds",
            "Time to deliver one batch, acknowledgement included",
            m.delivery_seconds.clone(),
        );
        m
    }
}
