//! Everything the per-call path reads, assembled once at start-up.
//!
//! The gateway only reads snapshots here (policy, agent directory); the
//! control plane swaps them. Nothing on the call path waits for an admin
//! request.

use crate::approvals::ApprovalHub;
use crate::controls::Controls;
use crate::credentials::AgentDirectory;
use crate::flood::ApprovalRateLimit;
use crate::metrics::Metrics;
use crate::notify::{Notifier, Target};
use crate::session::Sessions;
use crate::upstreams::Upstreams;
use behavry_core::{ApprovalRule, Redaction};
use behavry_policy::PolicyHandle;
use behavry_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Tunables of the call path.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    pub redaction: Redaction,
    /// Timeout of requests no approval rule covers.
    pub approval_timeout: Duration,
    pub keepalive: Duration,
    pub approval_rules: Vec<ApprovalRule>,
    /// New approval requests one agent may open per minute.
    pub approval_rate_per_minute: u32,
    pub max_pending_per_agent: u32,
    /// How long a retried identical call may collect a decided approval.
    pub retry_window: Duration,
    pub console_url: Option<String>,
    pub notifications: Vec<Target>,
    pub max_body_bytes: usize,
    pub session_idle: Duration,
    /// Set when the gateway listens on a loopback address: requests must then
    /// name a loopback `Host` (and `Origin`, when sent), which defeats DNS
    /// rebinding from a browser on the same machine.
    pub loopback_only: bool,
    /// The behavioural baseline (`[risk]`).
    pub risk: behavry_config::RiskSettings,
    /// Content scanning of arguments, results and tool definitions;
    /// `None` when `[scan] enabled = false`.
    pub scanning: Option<Arc<crate::scanning::ContentScanning>>,
    /// Multi-agent workflows; `None` when `[workflows] enabled = false`
    /// (a call carrying a workflow token is then denied).
    pub workflows: Option<Arc<crate::workflows::WorkflowStage>>,
    /// How replicas sharing one store keep in step (none: one process).
    pub coordination: crate::coordination::CoordinationSettings,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            redaction: Redaction::default(),
            approval_timeout: Duration::from_secs(300),
            keepalive: Duration::from_secs(15),
            approval_rules: Vec::new(),
            approval_rate_per_minute: 30,
            max_pending_per_agent: 20,
            retry_window: Duration::from_secs(3600),
            console_url: None,
            notifications: Vec::new(),
            max_body_bytes: 4 * 1024 * 1024,
            session_idle: Duration::from_secs(3600),
            loopback_only: true,
            risk: behavry_config::RiskSettings::default(),
            scanning: None,
            workflows: None,
            coordination: Default::default(),
        }
    }
}

pub struct Gateway {
    pub settings: GatewaySettings,
    pub policy: PolicyHandle,
    pub store: Store,
    pub agents: AgentDirectory,
    pub approvals: ApprovalHub,
    pub controls: Controls,
    pub approval_rate: ApprovalRateLimit,
    /// Cancelled when the gateway shuts down: held calls answer with a
    /// retryable error naming their approval.
    pub shutdown: tokio_util::sync::CancellationToken,
    pub upstreams: Upstreams,
    pub sessions: Sessions,
    pub metrics: Metrics,
    /// Pinned tool definitions (cache of the store's pin table).
    pub(crate) pins: crate::pinning::ToolPins,
    /// "Now" for `input.time` and the baseline (injectable in tests).
    pub clock: Arc<dyn crate::clock::Clock>,
    /// The behavioural baseline: scores calls, learns from those that ran.
    pub risk: crate::risk::RiskStage,
    /// Announcing changes to, and hearing them from, the other replicas.
    pub coordination: Arc<crate::coordination::Coordination>,
}

impl Gateway {
    pub fn new(
        settings: GatewaySettings,
        policy: PolicyHandle,
        store: Store,
        upstreams: Upstreams,
    ) -> Arc<Self> {
        Self::with_clock(
            settings,
            policy,
            store,
            upstreams,
            Arc::new(crate::clock::SystemClock),
        )
    }

    /// `new` with an explicit clock (tests move a `ManualClock`).
    pub fn with_clock(
        settings: GatewaySettings,
        policy: PolicyHandle,
        store: Store,
        upstreams: Upstreams,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Arc<Self> {
        let notifier =
            Notifier::start(settings.notifications.clone(), settings.console_url.clone());
        let risk = crate::risk::RiskStage::new(&settings.risk);
        let coordination = Arc::new(crate::coordination::Coordination::new(
            &settings.coordination,
        ));
        Arc::new(Gateway {
            approvals: ApprovalHub::new(
                store.clone(),
                settings.redaction.clone(),
                notifier,
                coordination.clone(),
            ),
            coordination,
            controls: Controls::default(),
            approval_rate: ApprovalRateLimit::new(settings.approval_rate_per_minute),
            shutdown: tokio_util::sync::CancellationToken::new(),
            settings,
            policy,
            store,
            agents: AgentDirectory::default(),
            upstreams,
            sessions: Sessions::default(),
            metrics: Metrics::new(),
            pins: Default::default(),
            risk,
            clock,
        })
    }

    /// Reload the agent directory from the store (after create / revoke).
    pub async fn reload_agents(&self) -> Result<usize, behavry_store::StoreError> {
        let agents = self.store.list_agents().await?;
        let active = agents
            .into_iter()
            .filter(|a| a.revoked_at.is_none())
            .map(|a| (a.credential_hash.clone(), a.identity()));
        let skipped = self.agents.replace(active);
        for name in skipped {
            tracing::error!(agent = %name, "stored credential hash is malformed; agent cannot authenticate");
        }
        Ok(self.agents.len())
    }

    /// Reload the agent directory after this replica changed an agent
    /// (create, revoke, rotate) and announce it to the other replicas.
    pub async fn agents_changed(&self) -> Result<usize, behavry_store::StoreError> {
        let loaded = self.reload_agents().await?;
        self.coordination
            .announce(crate::coordination::Event::Agents);
        Ok(loaded)
    }

    /// Close idle sessions and those of agents no longer active.
    pub fn spawn_session_reaper(self: &Arc<Self>) {
        let gw = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                let Some(gw) = gw.upgrade() else { return };
                let active = gw.store.list_agents().await.ok().map(|agents| {
                    agents
                        .into_iter()
                        .filter(|a| a.revoked_at.is_none())
                        .map(|a| a.identity().id)
                        .collect::<Vec<_>>()
                });
                let dead = gw.sessions.reap(gw.settings.session_idle, |id| {
                    active.as_ref().is_none_or(|a| a.contains(id))
                });
                for session in dead {
                    session.close().await;
                }
                gw.metrics.sessions.set(gw.sessions.len() as i64);
            }
        });
    }
}
