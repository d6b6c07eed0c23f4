//! [`SinkSet`]: builds every configured sink (secrets resolved, TLS roots
//! read, clients built) before starting any, then runs one task per sink.
//! A configuration that cannot be built stops start-up with an error naming
//! the sink; secrets never appear in errors or logs.

use crate::deliver::{Delivery, FileDelivery, HttpDelivery, HttpProtocol, StreamDelivery};
use crate::encode::{encoder_for, EncoderOptions};
use crate::metrics::SinkMetrics;
use crate::runner::Runner;
use crate::secret::Secret;
use crate::status::{SinkStatus, StatusCell};
use crate::tls;
use base64::Engine as _;
use behavry_config::{SinkConfig, SinkEncoding, SinkKind, SinkTarget};
use behavry_store::Store;
use prometheus_client::registry::Registry;
use std::sync::{Arc, Mutex};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
#[error("trace sink `{sink}`: {message}")]
pub struct SinkError {
    pub sink: String,
    pub message: String,
}

/// The running sinks. Cheap to clone; every clone sees the same sinks.
#[derive(Clone)]
pub struct SinkSet {
    inner: Arc<Inner>,
}

struct Inner {
    statuses: Vec<Arc<StatusCell>>,
    registry: Arc<Registry>,
    cancel: CancellationToken,
    tasks: Mutex<JoinSet<()>>,
}

impl std::fmt::Debug for SinkSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkSet")
            .field("sinks", &self.inner.statuses.len())
            .finish()
    }
}

impl SinkSet {
    /// Build and start every sink. `lookup` resolves `${env:NAME}`
    /// references (normally `std::env::var`).
    pub fn start(
        store: Store,
        configs: &[SinkConfig],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<SinkSet, SinkError> {
        let hostname = local_hostname();
        let mut built = Vec::new();
        for config in configs {
            let err = |message: String| SinkError {
                sink: config.name.clone(),
                message,
            };
            let delivery = build_delivery(config, &lookup).map_err(err)?;
            built.push((config, delivery));
        }
        let mut registry = Registry::with_prefix("behavry");
        let metrics = Arc::new(SinkMetrics::register(&mut registry));
        let cancel = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let mut statuses = Vec::new();
        for (config, (delivery, sink_hostname)) in built {
            let options = EncoderOptions {
                hostname: sink_hostname.unwrap_or_else(|| hostname.clone()),
                index: match &config.target {
                    SinkTarget::Http { index, .. } => index.clone(),
                    _ => None,
                },
            };
            let status = Arc::new(StatusCell::new(initial_status(config)));
            statuses.push(status.clone());
            let runner = Runner {
                store: store.clone(),
                name: config.name.clone(),
                encoder: encoder_for(config.kind, config.encoding, options),
                delivery,
                batch_max: config.batch_max,
                batch_wait: config.batch_wait,
                retention: config.retention_records,
                start: config.start,
                status,
                metrics: metrics.clone(),
                cancel: cancel.child_token(),
                backoff: Runner::new_backoff(),
            };
            tasks.spawn(runner.run());
        }
        Ok(SinkSet {
            inner: Arc::new(Inner {
                statuses,
                registry: Arc::new(registry),
                cancel,
                tasks: Mutex::new(tasks),
            }),
        })
    }

    /// A snapshot of every sink, in configuration order.
    pub fn statuses(&self) -> Vec<SinkStatus> {
        self.inner.statuses.iter().map(|s| s.snapshot()).collect()
    }

    /// The sinks' Prometheus metrics.
    pub fn registry(&self) -> Arc<Registry> {
        self.inner.registry.clone()
    }

    /// Stop every sink after its current attempt; unacknowledged records
    /// stay behind the stored cursors and are sent on the next start.
    pub async fn shutdown(&self) {
        self.inner.cancel.cancel();
        let mut tasks = match self.inner.tasks.lock() {
            Ok(mut t) => std::mem::take(&mut *t),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        };
        while tasks.join_next().await.is_some() {}
    }
}

fn initial_status(config: &SinkConfig) -> SinkStatus {
    SinkStatus {
        name: config.name.clone(),
        kind: config.kind.as_str().to_string(),
        encoding: config.encoding.as_str().to_string(),
        cursor: 0,
        latest_seq: 0,
        backlog_records: 0,
        backlog_age_seconds: 0.0,
        delivered_records: 0,
        failed_attempts: 0,
        retrying: 0,
        dropped_records: 0,
        rejected_records: 0,
        retention_exceeded: false,
        retention_records: config.retention_records,
        last_success: None,
        last_error: None,
        last_error_at: None,
    }
}

type Built = (Box<dyn Delivery>, Option<String>);

fn build_delivery(
    config: &SinkConfig,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Built, String> {
    let extra_roots = match &config.tls.ca_file {
        Some(path) => tls::read_ca_file(path)?,
        None => Vec::new(),
    };
    match &config.target {
        SinkTarget::File {
            path,
            rotate_bytes,
            rotate_age,
        } => Ok((
            Box::new(FileDelivery::new(path.clone(), *rotate_bytes, *rotate_age)),
            None,
        )),
        SinkTarget::Syslog {
            host,
            port,
            tls: use_tls,
            hostname,
        } => {
            let tls = if *use_tls {
                let name = config
                    .tls
                    .server_name
                    .clone()
                    .unwrap_or_else(|| host.clone());
                let server_name = rustls_pki_types::ServerName::try_from(name.clone())
                    .map_err(|_| format!("`{name}` is not a valid TLS server name"))?;
                Some((tls::client_config(&extra_roots)?, server_name))
            } else {
                None
            };
            Ok((
                Box::new(StreamDelivery::new(
                    host.clone(),
                    *port,
                    tls,
                    config.timeout,
                )),
                hostname.clone(),
            ))
        }
        SinkTarget::Http {
            url,
            headers,
            token,
            username,
            password,
            indexer_ack,
            ack_timeout,
            ..
        } => {
            let secret = |value: &str, what: &str| -> Result<Secret, String> {
                behavry_config::resolve_secret(value, lookup)
                    .map(Secret::new)
                    .map_err(|e| format!("{what}: {e}"))
            };
            let mut sent = Vec::new();
            for (name, value) in headers {
                sent.push((name.clone(), secret(value, &format!("header {name}"))?));
            }
            if let Some(token) = token {
                let token = secret(token, "token")?;
                let (name, value) = match config.kind {
                    SinkKind::SplunkHec => ("authorization", format!("Splunk {}", token.expose())),
                    SinkKind::Datadog => ("dd-api-key", token.expose().to_string()),
                    SinkKind::Elasticsearch => {
                        ("authorization", format!("ApiKey {}", token.expose()))
                    }
                    _ => ("authorization", format!("Bearer {}", token.expose())),
                };
                sent.push((name.to_string(), Secret::new(value)));
            }
            if let (Some(user), Some(password)) = (username, password) {
                let password = secret(password, "password")?;
                let basic = base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", password.expose()));
                sent.push((
                    "authorization".into(),
                    Secret::new(format!("Basic {basic}")),
                ));
            }
            let base = url.trim_end_matches('/');
            let endpoint = match (config.kind, config.encoding) {
                (SinkKind::SplunkHec, _) => format!("{base}/services/collector/event"),
                (SinkKind::Elasticsearch, _) => format!("{base}/_bulk"),
                (SinkKind::Datadog, _) => format!("{base}/api/v2/logs"),
                (SinkKind::Otlp, SinkEncoding::OtlpSpans) => format!("{base}/v1/traces"),
                (SinkKind::Otlp, _) => format!("{base}/v1/logs"),
                _ => url.clone(),
            };
            let protocol = match config.kind {
                SinkKind::SplunkHec => {
                    let channel = uuid::Uuid::new_v4().to_string();
                    HttpProtocol::SplunkHec {
                        indexer_ack: *indexer_ack,
                        ack_url: format!("{base}/services/collector/ack?channel={channel}"),
                        ack_timeout: *ack_timeout,
                        channel,
                    }
                }
                SinkKind::Elasticsearch => HttpProtocol::ElasticBulk,
                SinkKind::Otlp => HttpProtocol::Otlp,
                SinkKind::Datadog => HttpProtocol::Datadog,
                _ => HttpProtocol::Plain,
            };
            let mut builder = reqwest::Client::builder()
                .use_rustls_tls()
                .timeout(config.timeout)
                .connect_timeout(config.timeout)
                .redirect(reqwest::redirect::Policy::none());
            for cert in &extra_roots {
                let cert = reqwest::Certificate::from_der(cert.as_ref())
                    .map_err(|e| format!("a tls.ca_file certificate is not usable: {e}"))?;
                builder = builder.add_root_certificate(cert);
            }
            let client = builder
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
            let content_type =
                encoder_for(config.kind, config.encoding, EncoderOptions::default()).content_type();
            let delivery = HttpDelivery::new(client, endpoint, content_type, sent, protocol)?;
            Ok((Box::new(delivery), None))
        }
    }
}

/// The machine's host name, for records that carry one.
fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "behavry".to_string())
}
