//! `behavry serve`: open the store, load and watch the policy, start the
//! gateway listener and the admin listener, and run until Ctrl-C / SIGTERM.

use anyhow::Context as _;
use axum::serve::ListenerExt as _;
use behavry_config::{Config, UpstreamTransportConfig};
use behavry_control::{ensure_admin_token, ControlState};
use behavry_gateway::{Gateway, GatewaySettings, Upstreams};
use behavry_policy::{PolicyHandle, PolicySet, PolicyWatcher};
use behavry_store::{ensure_trace_key, CheckpointSchedule, Checkpointer, Durability, Store};
use behavry_upstream::{UpstreamSpec, UpstreamTransport};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let config = ctx.load_config()?;
    let running = start(config).await?;
    running.wait().await
}

/// A started gateway: its state and the tasks serving it.
pub struct Running {
    pub gateway: Arc<Gateway>,
    pub store: Store,
    pub data_dir: PathBuf,
    servers: tokio::task::JoinSet<anyhow::Result<()>>,
    _watcher: Option<PolicyWatcher>,
    /// The Decision Trace sinks; `statuses()` is what the console shows.
    pub sinks: behavry_sinks::SinkSet,
    checkpointer: Option<Checkpointer>,
}

impl Running {
    pub async fn wait(mut self) -> anyhow::Result<ExitCode> {
        let first = self.servers.join_next().await;
        self.servers.abort_all();
        self.gateway.upstreams.close_all().await;
        if let Err(e) = self.gateway.flush_baselines().await {
            tracing::warn!(error = %e, "could not store behavioural baselines at shutdown");
        }
        self.sinks.shutdown().await;
        if let Some(checkpointer) = self.checkpointer.take() {
            if let Err(e) = checkpointer.shutdown().await {
                tracing::warn!(error = %e, "could not seal the decision trace at shutdown");
            }
        }
        match first {
            Some(Ok(Ok(()))) | None => Ok(ExitCode::SUCCESS),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(e)) => Err(anyhow::anyhow!("server task failed: {e}")),
        }
    }
}

pub async fn start(config: Config) -> anyhow::Result<Running> {
    let data_dir = config.server.data_dir.clone();
    create_private_dir(&data_dir)?;
    let durability = if config.trace.fsync {
        Durability::Fsync
    } else {
        Durability::OsBuffered
    };
    let store = match &config.storage.url {
        Some(url) => Store::open_url_durable(url, durability).await,
        None => Store::open_dir_durable(&data_dir, durability).await,
    }
    .context("cannot open the store")?;
    let (trace_key, minted) = ensure_trace_key(&store, &data_dir)
        .await
        .context("cannot set up the trace signing key")?;
    if let Some(path) = minted {
        tracing::info!(path = %path.display(), public_key = %trace_key.public_key(), "trace signing key created (first run); back it up");
    }
    let checkpointer = Checkpointer::spawn(
        store.clone(),
        Arc::new(trace_key),
        CheckpointSchedule {
            every: config.trace.checkpoint_every,
            every_records: config.trace.checkpoint_every_records,
        },
    );

    let set = PolicySet::load_dir_with_limit(&config.policy.dir, config.policy.eval_timeout)
        .with_context(|| {
            format!(
                "cannot load the policy set in {}",
                config.policy.dir.display()
            )
        })?;
    tracing::info!(revision = %set.revision(), tests = set.test_report().total(), dir = %config.policy.dir.display(), "policy set loaded");
    let policy = PolicyHandle::new(set);
    let watcher = if config.policy.watch {
        Some(
            PolicyWatcher::spawn(&config.policy.dir, policy.clone())
                .context("cannot watch the policy directory")?,
        )
    } else {
        None
    };

    let (specs, legacy_only) = upstream_specs(&config)?;
    let secret_rules = match &config.scan.secret_rules {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read scan.secret_rules {}", path.display()))?,
        ),
        None => None,
    };
    let scanning = behavry_gateway::ContentScanning::from_settings(&config.scan, secret_rules)
        .context("cannot build the content scanners")?;
    let workflows = if config.workflows.enabled {
        let secret = config
            .workflows
            .root_key
            .as_deref()
            .map(|r| behavry_config::resolve_secret(r, |name| std::env::var(name).ok()))
            .transpose()
            .context("cannot resolve [workflows] root_key")?;
        let (authority, created) =
            behavry_gateway::workflows::load_root_key(&store, &data_dir, secret.as_deref())
                .await
                .context("cannot set up the workflow root key")?;
        if let Some(path) = created {
            tracing::info!(path = %path.display(), public_key = %authority.public_key_text(), "workflow root key created (first run); back it up");
        }
        let stage = Arc::new(behavry_gateway::workflows::WorkflowStage::new(
            authority,
            config.workflows.clone(),
            &config.risk,
        ));
        stage
            .reload_revocations(&store)
            .await
            .context("cannot load workflow revocations")?;
        stage.spawn_revocation_refresh(store.clone(), std::time::Duration::from_secs(2));
        Some(stage)
    } else {
        None
    };
    let settings = GatewaySettings {
        redaction: config.trace.redaction.clone(),
        approval_timeout: config.approvals.timeout,
        keepalive: config.approvals.keepalive,
        approval_rules: config.approvals.rules.clone(),
        approval_rate_per_minute: config.approvals.rate_per_minute,
        max_pending_per_agent: config.approvals.max_pending_per_agent,
        retry_window: config.approvals.retry_window,
        console_url: config.approvals.console_url.clone(),
        notifications: behavry_gateway::notify::resolve_targets(&config.notifications)
            .map_err(anyhow::Error::msg)
            .context("cannot set up notifications")?,
        max_body_bytes: config.server.max_body_bytes,
        session_idle: config.server.session_idle,
        loopback_only: config.server.listen.ip().is_loopback(),
        risk: config.risk.clone(),
        scanning: scanning.clone(),
        workflows,
        coordination: coordination_settings(&config)
            .await
            .context("cannot connect the coordination channel")?,
    };
    let gateway = Gateway::new(
        settings,
        policy,
        store.clone(),
        Upstreams::new(specs, legacy_only),
    );
    let agents = gateway
        .reload_agents()
        .await
        .context("cannot load agents")?;
    gateway.spawn_session_reaper();
    let baselines = gateway
        .restore_baselines()
        .await
        .context("cannot restore behavioural baselines")?;
    tracing::info!(profiles = baselines, "behavioural baselines restored");
    gateway.spawn_baseline_flusher();
    if let Some(scanning) = &scanning {
        gateway.metrics.attach(scanning.registry());
    }
    let sinks = behavry_sinks::SinkSet::start(store.clone(), &config.sinks, |name| {
        std::env::var(name).ok()
    })
    .context("cannot start the trace sinks")?;
    gateway.metrics.attach(sinks.registry());
    gateway
        .reload_controls()
        .await
        .context("cannot load kill switches and grants")?;
    gateway.spawn_approval_sweeper();
    gateway.spawn_coordination();
    if !gateway
        .wait_coordinated(config.storage.coordination_stale)
        .await
    {
        tracing::warn!(
            "not yet subscribed to the coordination channel: calls are denied until it is"
        );
    }

    let (admin_token, minted) = ensure_admin_token(&store, &data_dir)
        .await
        .context("cannot set up the admin token")?;
    if let Some(path) = minted {
        tracing::info!(path = %path.display(), "admin token created (first run); it is shown nowhere else");
    }
    let mut control = ControlState::new(gateway.clone(), admin_token, config.policy.dir.clone());
    control.console.sessions = behavry_control::SessionSettings {
        idle: config.admin.session_idle,
        absolute: config.admin.session_max,
        public_origin: config.admin.public_url.clone(),
    };
    let sink_handle = sinks.clone();
    control.sink_status = Arc::new(move || {
        serde_json::to_value(sink_handle.statuses()).unwrap_or(serde_json::Value::Null)
    });
    let control = Arc::new(control);

    let mcp_listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let admin_listener = tokio::net::TcpListener::bind(config.admin.listen)
        .await
        .with_context(|| format!("cannot listen on {} (admin)", config.admin.listen))?;
    let mcp_addr = mcp_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;
    tracing::info!(
        mcp = %format!("http://{mcp_addr}/mcp"),
        admin = %format!("http://{admin_addr}"),
        upstreams = config.upstreams.len(),
        agents,
        "behavry is serving"
    );

    // Responses are written in several small pieces (SSE events); without
    // TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms per call.
    let mcp_listener = mcp_listener.tap_io(set_nodelay);
    let admin_listener = admin_listener.tap_io(set_nodelay);
    let mut servers = tokio::task::JoinSet::new();
    let mcp_router = behavry_gateway::router(gateway.clone());
    let held_calls = gateway.shutdown.clone();
    servers.spawn(async move {
        axum::serve(mcp_listener, mcp_router)
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                // Held calls answer with a retryable error naming their
                // approval instead of keeping the shutdown waiting.
                held_calls.cancel();
            })
            .await
            .context("gateway listener failed")
    });
    let admin_router = behavry_control::router(control)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    servers.spawn(async move {
        axum::serve(admin_listener, admin_router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("admin listener failed")
    });
    Ok(Running {
        gateway,
        store,
        data_dir,
        servers,
        _watcher: watcher,
        sinks,
        checkpointer: Some(checkpointer),
    })
}

/// Replicas on PostgreSQL coordinate over `LISTEN`/`NOTIFY`; a SQLite
/// store serves one process and needs no channel.
async fn coordination_settings(
    config: &Config,
) -> anyhow::Result<behavry_gateway::coordination::CoordinationSettings> {
    let channel: Option<Arc<dyn behavry_gateway::coordination::Channel>> =
        match config.storage.url.as_deref() {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Some(Arc::new(
                    behavry_gateway::coordination::PgChannel::connect(url).await?,
                ))
            }
            _ => None,
        };
    Ok(behavry_gateway::coordination::CoordinationSettings {
        channel,
        stale_after: config.storage.coordination_stale,
    })
}

fn set_nodelay(stream: &mut tokio::net::TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!(error = %e, "could not set TCP_NODELAY");
    }
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict permissions of {}", dir.display()))?;
    }
    Ok(())
}

/// Turn configured upstreams into transport specs, resolving secret
/// references from the environment. Missing secrets stop start-up.
fn upstream_specs(config: &Config) -> anyhow::Result<(Vec<UpstreamSpec>, Vec<String>)> {
    let lookup = |name: &str| std::env::var(name).ok();
    let mut specs = Vec::new();
    let mut legacy_only = Vec::new();
    for up in &config.upstreams {
        let transport = match &up.transport {
            UpstreamTransportConfig::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                let mut resolved = Vec::new();
                for (k, v) in env {
                    let value = behavry_config::resolve_secret(v, lookup)
                        .with_context(|| format!("upstream `{}` env {k}", up.name))?;
                    resolved.push((k.clone(), value));
                }
                UpstreamTransport::Stdio {
                    command: resolve_command(command),
                    args: args.clone(),
                    env: resolved,
                    cwd: cwd.clone(),
                }
            }
            UpstreamTransportConfig::Http { url, headers } => {
                let mut resolved = Vec::new();
                for (k, v) in headers {
                    let value = behavry_config::resolve_secret(v, lookup)
                        .with_context(|| format!("upstream `{}` header {k}", up.name))?;
                    resolved.push((k.clone(), value));
                }
                UpstreamTransport::Http {
                    url: url.clone(),
                    headers: resolved,
                }
            }
        };
        if up.protocol == "legacy" {
            legacy_only.push(up.name.clone());
        }
        specs.push(UpstreamSpec {
            name: up.name.clone(),
            transport,
            request_timeout: up.request_timeout,
            connect_timeout: up.connect_timeout,
        });
    }
    if specs.is_empty() {
        tracing::warn!("no upstreams are configured: every call will be denied");
    }
    Ok((specs, legacy_only))
}

/// A bare command name is looked up beside the `behavry` executable first
/// (so the bundled demo server is found), then on PATH.
fn resolve_command(command: &str) -> String {
    if command.contains('/') {
        return command.to_string();
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(command)));
    match beside {
        Some(path) if path.is_file() => path.display().to_string(),
        _ => command.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
