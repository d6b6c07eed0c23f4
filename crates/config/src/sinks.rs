//! `[[sinks]]`: where the Decision Trace is delivered (files, SIEM HTTP
//! endpoints, syslog). Validated like the rest of the file: every problem is
//! collected, nothing is touched on disk or the network.
//!
//! Secrets (`token`, `password`) must be `${env:NAME}` references, never
//! literals in the file; they are resolved when the sinks start.

use crate::secrets::reference;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSink {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub encoding: Option<String>,
    pub path: Option<String>,
    pub url: Option<String>,
    pub address: Option<String>,
    pub batch_max: Option<u64>,
    pub batch_wait_ms: Option<u64>,
    pub retention_records: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub start: Option<String>,
    pub token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub index: Option<String>,
    pub indexer_ack: Option<bool>,
    pub ack_timeout_ms: Option<u64>,
    pub rotate_bytes: Option<u64>,
    pub rotate_secs: Option<u64>,
    pub hostname: Option<String>,
    pub tls: Option<RawSinkTls>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSinkTls {
    pub ca_file: Option<String>,
    pub server_name: Option<String>,
}

/// The receiver a sink delivers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    File,
    Http,
    SplunkHec,
    Otlp,
    Elasticsearch,
    Datadog,
    Syslog,
}

impl SinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::File => "file",
            SinkKind::Http => "http",
            SinkKind::SplunkHec => "splunk_hec",
            SinkKind::Otlp => "otlp",
            SinkKind::Elasticsearch => "elasticsearch",
            SinkKind::Datadog => "datadog",
            SinkKind::Syslog => "syslog",
        }
    }

    const ALL: [SinkKind; 7] = [
        SinkKind::File,
        SinkKind::Http,
        SinkKind::SplunkHec,
        SinkKind::Otlp,
        SinkKind::Elasticsearch,
        SinkKind::Datadog,
        SinkKind::Syslog,
    ];

    /// Encodings this kind can carry; the first is the default.
    pub fn encodings(self) -> &'static [SinkEncoding] {
        use SinkEncoding::*;
        match self {
            SinkKind::File => &[Jsonl, Ocsf, Ecs, Cef, Syslog5424],
            SinkKind::Http => &[Jsonl, Ocsf],
            SinkKind::SplunkHec => &[SplunkHec, Ocsf],
            SinkKind::Otlp => &[OtlpLogs, OtlpSpans],
            SinkKind::Elasticsearch => &[Ecs, Ocsf],
            SinkKind::Datadog => &[Datadog, Ocsf],
            SinkKind::Syslog => &[Syslog5424, Cef],
        }
    }

    fn is_http(self) -> bool {
        !matches!(self, SinkKind::File | SinkKind::Syslog)
    }
}

/// How trace records are written for the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkEncoding {
    Jsonl,
    SplunkHec,
    OtlpLogs,
    OtlpSpans,
    Ecs,
    Datadog,
    Syslog5424,
    Cef,
    Ocsf,
}

impl SinkEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            SinkEncoding::Jsonl => "jsonl",
            SinkEncoding::SplunkHec => "splunk_hec",
            SinkEncoding::OtlpLogs => "otlp_logs",
            SinkEncoding::OtlpSpans => "otlp_spans",
            SinkEncoding::Ecs => "ecs",
            SinkEncoding::Datadog => "datadog",
            SinkEncoding::Syslog5424 => "syslog5424",
            SinkEncoding::Cef => "cef",
            SinkEncoding::Ocsf => "ocsf",
        }
    }
}

/// Where a sink with no stored cursor begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkStart {
    /// The first event in the trace (nothing recorded is skipped).
    Beginning,
    /// The newest event when the sink first starts.
    End,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SinkTlsConfig {
    /// PEM file of additional trusted certificates (a private CA).
    pub ca_file: Option<PathBuf>,
    /// Name to verify the receiver's certificate against, when it differs
    /// from the host in `url` / `address`.
    pub server_name: Option<String>,
}

/// Where and how a sink delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkTarget {
    File {
        path: PathBuf,
        rotate_bytes: u64,
        rotate_age: Option<Duration>,
    },
    Http {
        /// Base URL; the protocol's path is appended (`http` kind: used as is).
        url: String,
        /// Literal values or `${env:NAME}` references.
        headers: Vec<(String, String)>,
        /// `${env:NAME}` reference: HEC token, Datadog API key,
        /// Elasticsearch API key, or a bearer token (`http`, `otlp`).
        token: Option<String>,
        username: Option<String>,
        /// `${env:NAME}` reference.
        password: Option<String>,
        /// Splunk index or Elasticsearch index / data stream.
        index: Option<String>,
        /// Splunk HEC indexer acknowledgement.
        indexer_ack: bool,
        ack_timeout: Duration,
    },
    Syslog {
        host: String,
        port: u16,
        tls: bool,
        /// HOSTNAME field of RFC 5424 messages; `None`: the machine's name.
        hostname: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SinkConfig {
    pub name: String,
    pub kind: SinkKind,
    pub encoding: SinkEncoding,
    pub target: SinkTarget,
    pub batch_max: usize,
    pub batch_wait: Duration,
    /// Largest backlog kept; past it the oldest undelivered records are
    /// skipped (logged, counted, flagged). `None`: never skip.
    pub retention_records: Option<u64>,
    pub timeout: Duration,
    pub start: SinkStart,
    pub tls: SinkTlsConfig,
}

pub(crate) fn validate_sinks(
    problems: &mut Vec<String>,
    raw: Vec<RawSink>,
    base: &Path,
) -> Vec<SinkConfig> {
    let mut names = BTreeSet::new();
    let mut sinks = Vec::new();
    for (index, sink) in raw.into_iter().enumerate() {
        if let Some(s) = validate_sink(problems, index, sink, base) {
            if !names.insert(s.name.clone()) {
                problems.push(format!("sinks[{index}]: name `{}` is used twice", s.name));
            }
            sinks.push(s);
        }
    }
    sinks
}

fn validate_sink(
    problems: &mut Vec<String>,
    index: usize,
    raw: RawSink,
    base: &Path,
) -> Option<SinkConfig> {
    let before = problems.len();
    let name = raw.name.clone().unwrap_or_default();
    let at = if name.is_empty() {
        format!("sinks[{index}]")
    } else {
        format!("sinks[{index}] ({name})")
    };
    if name.is_empty() {
        problems.push(format!("{at}: name is required"));
    } else if !crate::valid_upstream_name(&name) {
        problems.push(format!(
            "{at}: name must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit"
        ));
    }
    let kind = match raw.kind.as_deref() {
        None => {
            problems.push(format!("{at}: kind is required"));
            None
        }
        Some(k) => {
            let found = SinkKind::ALL.into_iter().find(|c| c.as_str() == k);
            if found.is_none() {
                let all: Vec<_> = SinkKind::ALL.iter().map(|c| c.as_str()).collect();
                problems.push(format!(
                    "{at}: kind must be one of {}, not `{k}`",
                    all.join(", ")
                ));
            }
            found
        }
    };
    let kind = kind?;
    let encoding = encoding(problems, &at, kind, raw.encoding.as_deref());
    let bounded = |problems: &mut Vec<String>, field: &str, v: Option<u64>, d, min, max| {
        crate::validate::bounded(problems, &format!("{at}: {field}"), v, d, min, max)
    };
    let batch_limit = if kind == SinkKind::Datadog {
        1000
    } else {
        10_000
    };
    let batch_max = bounded(problems, "batch_max", raw.batch_max, 500, 1, batch_limit);
    let batch_wait_ms = bounded(
        problems,
        "batch_wait_ms",
        raw.batch_wait_ms,
        1000,
        0,
        60_000,
    );
    let timeout_ms = bounded(problems, "timeout_ms", raw.timeout_ms, 10_000, 100, 300_000);
    if let Some(r) = raw.retention_records {
        if r < batch_max {
            problems.push(format!(
                "{at}: retention_records ({r}) must be at least batch_max ({batch_max})"
            ));
        }
    }
    let start = match raw.start.as_deref().unwrap_or("beginning") {
        "beginning" => SinkStart::Beginning,
        "end" => SinkStart::End,
        other => {
            problems.push(format!(
                "{at}: start must be beginning or end, not `{other}`"
            ));
            SinkStart::Beginning
        }
    };
    let tls = raw.tls.as_ref().map(|t| SinkTlsConfig {
        ca_file: t.ca_file.as_deref().map(|f| base.join(f)),
        server_name: t.server_name.clone(),
    });
    if kind != SinkKind::Syslog && tls.as_ref().is_some_and(|t| t.server_name.is_some()) {
        problems.push(format!(
            "{at}: tls.server_name applies only to syslog sinks"
        ));
    }
    let target = target(problems, &at, kind, &raw, base);
    if let (Some(SinkTarget::Syslog { tls: false, .. }) | Some(SinkTarget::File { .. }), Some(_)) =
        (&target, &raw.tls)
    {
        problems.push(format!(
            "{at}: tls applies only to https urls and tls:// addresses"
        ));
    }
    if problems.len() != before {
        return None;
    }
    Some(SinkConfig {
        name,
        kind,
        encoding: encoding?,
        target: target?,
        batch_max: batch_max as usize,
        batch_wait: Duration::from_millis(batch_wait_ms),
        retention_records: raw.retention_records,
        timeout: Duration::from_millis(timeout_ms),
        start,
        tls: tls.unwrap_or_default(),
    })
}

fn encoding(
    problems: &mut Vec<String>,
    at: &str,
    kind: SinkKind,
    value: Option<&str>,
) -> Option<SinkEncoding> {
    let allowed = kind.encodings();
    let Some(value) = value else {
        return allowed.first().copied();
    };
    let found = allowed.iter().copied().find(|e| e.as_str() == value);
    if found.is_none() {
        let names: Vec<_> = allowed.iter().map(|e| e.as_str()).collect();
        problems.push(format!(
            "{at}: encoding for a {} sink must be one of {}, not `{value}`",
            kind.as_str(),
            names.join(", ")
        ));
    }
    found
}

fn target(
    problems: &mut Vec<String>,
    at: &str,
    kind: SinkKind,
    raw: &RawSink,
    base: &Path,
) -> Option<SinkTarget> {
    let mut not_for = |set: bool, field: &str| {
        if set {
            problems.push(format!(
                "{at}: {field} does not apply to a {} sink",
                kind.as_str()
            ));
        }
    };
    let http_only = [
        (raw.url.is_some(), "url"),
        (raw.token.is_some(), "token"),
        (raw.username.is_some(), "username"),
        (raw.password.is_some(), "password"),
        (!raw.headers.is_empty(), "headers"),
    ];
    let file_only = [
        (raw.path.is_some(), "path"),
        (raw.rotate_bytes.is_some(), "rotate_bytes"),
        (raw.rotate_secs.is_some(), "rotate_secs"),
    ];
    let syslog_only = [
        (raw.address.is_some(), "address"),
        (raw.hostname.is_some(), "hostname"),
    ];
    if !kind.is_http() {
        http_only.iter().for_each(|(s, f)| not_for(*s, f));
    }
    if kind != SinkKind::File {
        file_only.iter().for_each(|(s, f)| not_for(*s, f));
    }
    if kind != SinkKind::Syslog {
        syslog_only.iter().for_each(|(s, f)| not_for(*s, f));
    }
    let splunk_or_elastic = matches!(kind, SinkKind::SplunkHec | SinkKind::Elasticsearch);
    not_for(raw.index.is_some() && !splunk_or_elastic, "index");
    let splunk = kind == SinkKind::SplunkHec;
    not_for(raw.indexer_ack.is_some() && !splunk, "indexer_ack");
    not_for(raw.ack_timeout_ms.is_some() && !splunk, "ack_timeout_ms");
    match kind {
        SinkKind::File => file_target(problems, at, raw, base),
        SinkKind::Syslog => syslog_target(problems, at, raw),
        _ => http_target(problems, at, kind, raw),
    }
}

fn file_target(
    problems: &mut Vec<String>,
    at: &str,
    raw: &RawSink,
    base: &Path,
) -> Option<SinkTarget> {
    let rotate_bytes = crate::validate::bounded(
        problems,
        &format!("{at}: rotate_bytes"),
        raw.rotate_bytes,
        100 * 1024 * 1024,
        4096,
        1 << 40,
    );
    let rotate_age = raw.rotate_secs.map(|s| {
        let secs = crate::validate::bounded(
            problems,
            &format!("{at}: rotate_secs"),
            Some(s),
            86_400,
            60,
            366 * 86_400,
        );
        Duration::from_secs(secs)
    });
    match raw.path.as_deref() {
        Some(p) if !p.trim().is_empty() => Some(SinkTarget::File {
            path: base.join(p),
            rotate_bytes,
            rotate_age,
        }),
        _ => {
            problems.push(format!("{at}: path is required for a file sink"));
            None
        }
    }
}

fn syslog_target(problems: &mut Vec<String>, at: &str, raw: &RawSink) -> Option<SinkTarget> {
    let Some(address) = raw.address.as_deref() else {
        problems.push(format!(
            "{at}: address is required for a syslog sink (tcp://host:port or tls://host:port)"
        ));
        return None;
    };
    let (tls, rest) = if let Some(rest) = address.strip_prefix("tls://") {
        (true, rest)
    } else if let Some(rest) = address.strip_prefix("tcp://") {
        (false, rest)
    } else {
        problems.push(format!("{at}: address must start with tcp:// or tls://"));
        return None;
    };
    let parsed = rest
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
        .filter(|(host, port)| !host.is_empty() && *port != 0);
    let Some((host, port)) = parsed else {
        problems.push(format!(
            "{at}: address `{address}` must be tcp://host:port or tls://host:port"
        ));
        return None;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if let Some(h) = &raw.hostname {
        let printable =
            !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| (33..=126).contains(&b));
        if !printable {
            problems.push(format!(
                "{at}: hostname must be 1-255 printable ASCII characters without spaces"
            ));
        }
    }
    Some(SinkTarget::Syslog {
        host,
        port,
        tls,
        hostname: raw.hostname.clone(),
    })
}

fn http_target(
    problems: &mut Vec<String>,
    at: &str,
    kind: SinkKind,
    raw: &RawSink,
) -> Option<SinkTarget> {
    let url = match raw.url.as_deref() {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => Some(u.to_string()),
        Some(_) => {
            problems.push(format!("{at}: url must start with http:// or https://"));
            None
        }
        None => {
            problems.push(format!(
                "{at}: url is required for a {} sink",
                kind.as_str()
            ));
            None
        }
    };
    let authority = url
        .as_deref()
        .and_then(|u| u.split_once("://"))
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""));
    if authority.is_some_and(|a| a.contains('@')) {
        problems.push(format!(
            "{at}: url must not hold credentials; use token or username/password"
        ));
    }
    if raw.tls.is_some() && url.as_deref().is_some_and(|u| u.starts_with("http://")) {
        problems.push(format!(
            "{at}: tls applies only to https urls and tls:// addresses"
        ));
    }
    for (key, value) in &raw.headers {
        if let Err(e) = reference(value) {
            problems.push(format!("{at}: headers.{key}: {e}"));
        }
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            problems.push(format!(
                "{at}: header name `{key}` is not a valid HTTP header name"
            ));
        }
    }
    for (field, value) in [("token", &raw.token), ("password", &raw.password)] {
        if let Some(v) = value {
            match reference(v) {
                Ok(Some(_)) => {}
                Ok(None) => problems.push(format!(
                    "{at}: {field} must be a ${{env:NAME}} reference, not a literal value"
                )),
                Err(e) => problems.push(format!("{at}: {field}: {e}")),
            }
        }
    }
    let needs_token = matches!(kind, SinkKind::SplunkHec | SinkKind::Datadog);
    if needs_token && raw.token.is_none() {
        problems.push(format!(
            "{at}: token is required for a {} sink",
            kind.as_str()
        ));
    }
    if raw.username.is_some() != raw.password.is_some() {
        problems.push(format!("{at}: set both username and password, or neither"));
    }
    if raw.username.is_some() && raw.token.is_some() {
        problems.push(format!("{at}: set token or username/password, not both"));
    }
    if raw.username.is_some() && !matches!(kind, SinkKind::Elasticsearch | SinkKind::Http) {
        problems.push(format!(
            "{at}: username/password apply only to elasticsearch and http sinks"
        ));
    }
    if let Some(index) = &raw.index {
        let ok = !index.is_empty()
            && index.len() <= 255
            && index
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
        if !ok {
            problems.push(format!("{at}: index must be 1-255 of a-z, 0-9, -, _ and ."));
        }
    }
    let ack_timeout_ms = crate::validate::bounded(
        problems,
        &format!("{at}: ack_timeout_ms"),
        raw.ack_timeout_ms,
        60_000,
        1000,
        600_000,
    );
    Some(SinkTarget::Http {
        url: url?,
        headers: raw.headers.clone().into_iter().collect(),
        token: raw.token.clone(),
        username: raw.username.clone(),
        password: raw.password.clone(),
        index: raw.index.clone(),
        indexer_ack: raw.indexer_ack.unwrap_or(false),
        ack_timeout: Duration::from_millis(ack_timeout_ms),
    })
}
