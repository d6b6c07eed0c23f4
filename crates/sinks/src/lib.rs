//! Delivery of the Decision Trace to SIEMs and log pipelines, at least once
//! and with nothing lost.
//!
//! Every sink has the same parts: its configuration
//! ([`behavry_config::SinkConfig`]), an [`encode::Encoder`] (JSON Lines,
//! Splunk HEC, OTLP logs or spans, ECS bulk, Datadog, RFC 5424 syslog, CEF,
//! OCSF), a batcher and a [`deliver::Delivery`] (file with rotation, HTTP,
//! syslog over TCP or TLS). One task per sink reads the trace after the
//! sink's own persisted cursor, delivers, and moves the cursor only after the
//! receiver acknowledged (see [`runner`] for the invariants).
//!
//! [`SinkSet`] starts the configured sinks and hands out their
//! [`SinkStatus`] snapshots and Prometheus registry.

mod batch;
pub mod deliver;
pub mod encode;
mod metrics;
pub mod record;
pub mod retry;
pub mod runner;
mod secret;
mod set;
mod status;
#[doc(hidden)]
pub mod testing;
pub mod tls;

pub use record::{Record, SCHEMA};
pub use runner::cursor_key;
pub use secret::Secret;
pub use set::{SinkError, SinkSet};
pub use status::SinkStatus;
