//! Validation of the raw file into a typed `Config`, collecting every
//! problem. No I/O happens here: paths are only resolved, not touched.

use crate::approvals::{ApprovalsConfig, NotificationConfig};
use crate::raw::{RawConfig, RawUpstream};
use crate::secrets::reference;
use crate::ConfigError;
use behavry_core::{Redaction, RedactionMode};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub server: ServerConfig,
    pub admin: AdminConfig,
    pub policy: PolicyConfig,
    pub storage: StorageConfig,
    pub trace: TraceConfig,
    pub approvals: ApprovalsConfig,
    pub notifications: Vec<NotificationConfig>,
    pub upstreams: Vec<UpstreamConfig>,
    pub sinks: Vec<crate::sinks::SinkConfig>,
    pub scan: crate::scan::ScanSettings,
    pub risk: crate::risk::RiskSettings,
    pub workflows: crate::workflows::WorkflowSettings,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub max_body_bytes: usize,
    pub session_idle: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdminConfig {
    pub listen: SocketAddr,
    /// The console's public origin (`https://host[:port]`) when it is
    /// reached through a proxy; `https` makes session cookies `Secure`.
    pub public_url: Option<String>,
    /// A console session ends after this long without a request.
    pub session_idle: Duration,
    /// A console session ends this long after sign-in.
    pub session_max: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyConfig {
    pub dir: PathBuf,
    pub eval_timeout: Duration,
    pub watch: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StorageConfig {
    /// `sqlite://PATH` or `postgres://...` (or `${env:NAME}` naming one);
    /// `None` means SQLite in `data_dir`.
    pub url: Option<String>,
    /// With several replicas: how long a replica may go without hearing
    /// the coordination channel before it denies every call.
    pub coordination_stale: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TraceConfig {
    pub redaction: Redaction,
    /// `true` (the default, `durability = "fsync"`): a decision is on disk
    /// before its call is forwarded. `false` (`"os-buffered"`): it survives a
    /// gateway crash but not a power loss.
    pub fsync: bool,
    /// Seal the trace with a signed checkpoint when records have waited
    /// this long (`checkpoint_every_secs`, default 10)...
    pub checkpoint_every: Duration,
    /// ...or as soon as this many are waiting (`checkpoint_every_records`,
    /// default 4096; also the most records one checkpoint covers).
    pub checkpoint_every_records: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamTransportConfig {
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
        cwd: Option<PathBuf>,
    },
    Http {
        url: String,
        headers: Vec<(String, String)>,
    },
}

/// An upstream as configured. `env` and `headers` values may still be
/// `${env:NAME}` references; resolve them with `resolve_secret` at start-up.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamConfig {
    pub name: String,
    pub transport: UpstreamTransportConfig,
    /// `auto`, `legacy` or `modern`.
    pub protocol: String,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
}

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:8081";

pub(crate) fn validate(raw: RawConfig, base: &Path) -> Result<Config, ConfigError> {
    let mut problems = Vec::new();
    let listen = socket(
        &mut problems,
        "server.listen",
        raw.server.listen.as_deref().unwrap_or(DEFAULT_LISTEN),
    );
    let admin_listen = socket(
        &mut problems,
        "admin.listen",
        raw.admin.listen.as_deref().unwrap_or(DEFAULT_ADMIN_LISTEN),
    );
    let public_url = raw
        .admin
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_string());
    if let Some(url) = &public_url {
        if !valid_origin(url) {
            problems.push(format!(
                "admin.public_url `{url}` must be an origin: http(s)://host[:port], without a path"
            ));
        }
    }
    let console_idle = bounded(
        &mut problems,
        "admin.session_idle_secs",
        raw.admin.session_idle_secs,
        1800,
        60,
        86_400,
    );
    let console_max = bounded(
        &mut problems,
        "admin.session_max_secs",
        raw.admin.session_max_secs,
        43_200,
        300,
        30 * 86_400,
    );
    if let (Some(a), Some(b)) = (listen, admin_listen) {
        if a == b && a.port() != 0 {
            problems.push(format!(
                "server.listen and admin.listen must differ (both {a})"
            ));
        }
    }
    let data_dir = base.join(raw.server.data_dir.as_deref().unwrap_or("data"));
    let max_body_bytes = bounded(
        &mut problems,
        "server.max_body_bytes",
        raw.server.max_body_bytes,
        4 * 1024 * 1024,
        1024,
        256 * 1024 * 1024,
    );
    let session_idle = bounded(
        &mut problems,
        "server.session_idle_secs",
        raw.server.session_idle_secs,
        3600,
        10,
        7 * 24 * 3600,
    );
    let policy_dir = base.join(raw.policy.dir.as_deref().unwrap_or("policies"));
    let eval_timeout_ms = bounded(
        &mut problems,
        "policy.eval_timeout_ms",
        raw.policy.eval_timeout_ms,
        50,
        1,
        10_000,
    );

    let mode = match raw.trace.arguments.as_deref().unwrap_or("redacted") {
        "full" => RedactionMode::Full,
        "redacted" => RedactionMode::Redacted,
        "omit" => RedactionMode::Omit,
        other => {
            problems.push(format!(
                "trace.arguments must be full, redacted or omit, not `{other}`"
            ));
            RedactionMode::Redacted
        }
    };
    let mut redaction = Redaction {
        mode,
        ..Redaction::default()
    };
    if let Some(keys) = raw.trace.redact_keys {
        if keys.iter().any(|k| k.trim().is_empty()) {
            problems.push("trace.redact_keys must not contain empty strings".to_string());
        }
        redaction.keys = keys;
    }

    let fsync = match raw.trace.durability.as_deref().unwrap_or("fsync") {
        "fsync" => true,
        "os-buffered" => false,
        other => {
            problems.push(format!(
                "trace.durability must be fsync or os-buffered, not `{other}`"
            ));
            true
        }
    };

    let checkpoint_every_secs = bounded(
        &mut problems,
        "trace.checkpoint_every_secs",
        raw.trace.checkpoint_every_secs,
        10,
        1,
        24 * 3600,
    );
    let checkpoint_every_records = bounded(
        &mut problems,
        "trace.checkpoint_every_records",
        raw.trace.checkpoint_every_records,
        4096,
        1,
        1_000_000,
    );

    let approvals = crate::approvals::validate_approvals(&mut problems, raw.approvals);
    let notifications = crate::approvals::validate_notifications(&mut problems, raw.notifications);
    let sinks = crate::sinks::validate_sinks(&mut problems, raw.sinks, base);
    let scan = crate::scan::validate_scan(&mut problems, raw.scan, base);
    let risk = crate::risk::validate_risk(&mut problems, raw.risk);
    let workflows = crate::workflows::validate_workflows(&mut problems, raw.workflows);

    if let Some(url) = &raw.storage.url {
        let reference = matches!(crate::secrets::reference(url), Ok(Some(_)));
        if !(reference
            || url.starts_with("sqlite://")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            problems.push(
                "storage.url must start with sqlite:// or postgres://, or be ${env:NAME}"
                    .to_string(),
            );
        }
    }
    let stale_secs = raw.storage.coordination_stale_secs.unwrap_or(10.0);
    if !(0.5..=300.0).contains(&stale_secs) {
        problems.push("storage.coordination_stale_secs must be between 0.5 and 300".to_string());
    }

    let mut names = BTreeSet::new();
    let mut upstreams = Vec::new();
    for (index, up) in raw.upstreams.into_iter().enumerate() {
        if let Some(u) = upstream(&mut problems, index, up, base) {
            if !names.insert(u.name.clone()) {
                problems.push(format!(
                    "upstreams[{index}]: name `{}` is used twice",
                    u.name
                ));
            }
            upstreams.push(u);
        }
    }

    if !problems.is_empty() {
        return Err(ConfigError { problems });
    }
    let (Some(listen), Some(admin_listen)) = (listen, admin_listen) else {
        return Err(ConfigError::one("listen addresses are invalid"));
    };
    Ok(Config {
        server: ServerConfig {
            listen,
            data_dir,
            max_body_bytes: max_body_bytes as usize,
            session_idle: Duration::from_secs(session_idle),
        },
        admin: AdminConfig {
            listen: admin_listen,
            public_url,
            session_idle: Duration::from_secs(console_idle),
            session_max: Duration::from_secs(console_max),
        },
        policy: PolicyConfig {
            dir: policy_dir,
            eval_timeout: Duration::from_millis(eval_timeout_ms),
            watch: raw.policy.watch.unwrap_or(true),
        },
        storage: StorageConfig {
            url: raw.storage.url,
            coordination_stale: Duration::from_secs_f64(stale_secs.clamp(0.5, 300.0)),
        },
        trace: TraceConfig {
            redaction,
            fsync,
            checkpoint_every: Duration::from_secs(checkpoint_every_secs),
            checkpoint_every_records,
        },
        approvals,
        notifications,
        upstreams,
        sinks,
        scan,
        risk,
        workflows,
    })
}

fn socket(problems: &mut Vec<String>, field: &str, value: &str) -> Option<SocketAddr> {
    match value.parse() {
        Ok(addr) => Some(addr),
        Err(_) => {
            problems.push(format!("{field} `{value}` is not an IP:port address"));
            None
        }
    }
}

/// `http(s)://host[:port]` with nothing after the authority.
fn valid_origin(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    matches!(rest, Some(authority) if !authority.is_empty()
        && !authority.contains(['/', '?', '#', '@', ' ']))
}

pub(crate) fn bounded(
    problems: &mut Vec<String>,
    field: &str,
    value: Option<u64>,
    default: u64,
    min: u64,
    max: u64,
) -> u64 {
    let v = value.unwrap_or(default);
    if v < min || v > max {
        problems.push(format!("{field} must be between {min} and {max}, got {v}"));
        return default;
    }
    v
}

/// Upstream names appear in aggregated tool names (`upstream.tool`), so
/// they are short, lowercase and free of dots.
pub fn valid_upstream_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn upstream(
    problems: &mut Vec<String>,
    index: usize,
    up: RawUpstream,
    base: &Path,
) -> Option<UpstreamConfig> {
    let before = problems.len();
    let name = up.name.clone().unwrap_or_default();
    let at = if name.is_empty() {
        format!("upstreams[{index}]")
    } else {
        format!("upstreams[{index}] ({name})")
    };
    if name.is_empty() {
        problems.push(format!("{at}: name is required"));
    } else if !valid_upstream_name(&name) {
        problems.push(format!(
            "{at}: name must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit"
        ));
    }
    let protocol = up.protocol.clone().unwrap_or_else(|| "auto".to_string());
    if !["auto", "legacy", "modern"].contains(&protocol.as_str()) {
        problems.push(format!("{at}: protocol must be auto, legacy or modern"));
    }
    for (key, value) in up.env.iter().chain(up.headers.iter()) {
        if let Err(e) = reference(value) {
            problems.push(format!("{at}: {key}: {e}"));
        }
    }
    let transport = match (&up.command, &up.url) {
        (Some(command), None) => {
            if command.trim().is_empty() {
                problems.push(format!("{at}: command must not be empty"));
            }
            if !up.headers.is_empty() {
                problems.push(format!("{at}: headers apply only to url upstreams"));
            }
            Some(UpstreamTransportConfig::Stdio {
                command: command.clone(),
                args: up.args.clone(),
                env: up.env.clone().into_iter().collect(),
                cwd: up.cwd.as_deref().map(|c| base.join(c)),
            })
        }
        (None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                problems.push(format!("{at}: url must start with http:// or https://"));
            }
            if !up.args.is_empty() || !up.env.is_empty() || up.cwd.is_some() {
                problems.push(format!(
                    "{at}: args, env and cwd apply only to command upstreams"
                ));
            }
            Some(UpstreamTransportConfig::Http {
                url: url.clone(),
                headers: up.headers.clone().into_iter().collect(),
            })
        }
        (Some(_), Some(_)) => {
            problems.push(format!(
                "{at}: set either command (stdio) or url (HTTP), not both"
            ));
            None
        }
        (None, None) => {
            problems.push(format!("{at}: set command (stdio) or url (HTTP)"));
            None
        }
    };
    let request_timeout = bounded(
        problems,
        &format!("{at}: request_timeout_secs"),
        up.request_timeout_secs,
        120,
        1,
        3600,
    );
    let connect_timeout = bounded(
        problems,
        &format!("{at}: connect_timeout_secs"),
        up.connect_timeout_secs,
        20,
        1,
        600,
    );
    if problems.len() != before {
        return None;
    }
    Some(UpstreamConfig {
        name,
        transport: transport?,
        protocol,
        request_timeout: Duration::from_secs(request_timeout),
        connect_timeout: Duration::from_secs(connect_timeout),
    })
}
