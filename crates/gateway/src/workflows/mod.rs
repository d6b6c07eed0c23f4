//! Multi-agent workflows in the gateway (docs/workflows.md): the root key,
//! token verification with the revocation list, the shared ledgers, the
//! flow rule and call lineage. The decisions themselves are
//! `behavry-workflow`'s; this module feeds them what the gateway knows
//! (who presents, what the call is, what the store holds) and records what
//! they decide.

mod call;
mod ledger;
mod lineage;
mod root_key;
mod start;

pub use call::WorkflowCall;
pub(crate) use call::{
    after_decision, after_result, before_decision, prepare_forward, WorkflowHeaders, WorkflowState,
};
pub use ledger::{snapshot, StoredLedger};
pub(crate) use lineage::Lineage;
pub use root_key::{load_root_key, RootKeyError, PUBLIC_KEY_SETTING, ROOT_KEY_FILE};
pub use start::{start_workflow, StartFailure};

use arc_swap::ArcSwap;
use behavry_config::{FlowModeSetting, RiskSettings, WorkflowSettings};
use behavry_store::{Store, StoreError};
use behavry_workflow::{
    FlowMode, FlowRule, RevocationId, RevocationSet, StartPolicy, TokenVerifier, VerifierConfig,
    WorkflowAuthority,
};
use std::sync::Arc;

/// Does a qualified call name match any of the tool patterns (`*` matches
/// any run of characters)?
pub(crate) fn call_matches(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| crate::risk::glob_match(p, name))
}

/// How many spans call lineage remembers.
const LINEAGE_CAPACITY: usize = 100_000;

/// Everything the call path needs for workflows, built once at start-up.
pub struct WorkflowStage {
    authority: WorkflowAuthority,
    verifier: TokenVerifier,
    revocations: ArcSwap<RevocationSet>,
    pub(crate) settings: WorkflowSettings,
    pub(crate) flow: FlowRule,
    pub(crate) start_policy: StartPolicy,
    pub(crate) sensitive_tools: Vec<String>,
    pub(crate) outbound_tools: Vec<String>,
    pub(crate) lineage: Lineage,
}

impl std::fmt::Debug for WorkflowStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowStage")
            .field("public_key", &self.public_key_text())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl WorkflowStage {
    /// `risk` supplies the sensitive and outbound tool classification.
    pub fn new(
        authority: WorkflowAuthority,
        settings: WorkflowSettings,
        risk: &RiskSettings,
    ) -> Self {
        let verifier = TokenVerifier::new(
            authority.public_key(),
            VerifierConfig {
                max_depth: settings.max_depth,
                ..VerifierConfig::default()
            },
        );
        let flow = FlowRule {
            mode: match settings.flow_mode {
                FlowModeSetting::Intercept => FlowMode::Intercept,
                FlowModeSetting::Deny => FlowMode::Deny,
                FlowModeSetting::Off => FlowMode::Off,
            },
            same_agent: settings.flow_same_agent,
            window_secs: settings.flow_window_secs,
        };
        let start_policy = StartPolicy {
            default_ttl_secs: settings.default_ttl_secs,
            max_ttl_secs: settings.max_ttl_secs,
            max_depth: settings.max_depth,
            default_fanout: settings.default_fanout,
            max_fanout: settings.max_fanout,
        };
        WorkflowStage {
            authority,
            verifier,
            revocations: ArcSwap::from_pointee(RevocationSet::new()),
            flow,
            start_policy,
            sensitive_tools: risk.sensitive_tools.clone(),
            outbound_tools: risk.outbound_tools.clone(),
            lineage: Lineage::new(LINEAGE_CAPACITY),
            settings,
        }
    }

    /// `ed25519/<hex>`: what agents need to delegate offline.
    pub fn public_key_text(&self) -> String {
        self.authority.public_key_text()
    }

    pub(crate) fn authority(&self) -> &WorkflowAuthority {
        &self.authority
    }

    pub(crate) fn verifier(&self) -> &TokenVerifier {
        &self.verifier
    }

    /// The revocation list in force.
    pub fn revocations_snapshot(&self) -> Arc<RevocationSet> {
        self.revocations.load_full()
    }

    /// Replace the revocation list with the store's. Called at start-up,
    /// after every revocation made here, and periodically (other replicas).
    pub async fn reload_revocations(&self, store: &Store) -> Result<usize, StoreError> {
        let records = store.list_revocations().await?;
        let mut set = RevocationSet::new();
        for r in &records {
            match RevocationId::parse(&r.revocation_id) {
                Ok(id) => {
                    set.revoke(id);
                }
                Err(_) => {
                    return Err(StoreError::Corrupt(format!(
                        "stored revocation id {:?} is malformed",
                        r.revocation_id
                    )))
                }
            }
        }
        self.revocations.store(Arc::new(set));
        Ok(records.len())
    }

    /// Reload the revocation list every `every` until the gateway is gone.
    /// A failed reload keeps the previous list and is logged.
    pub fn spawn_revocation_refresh(self: &Arc<Self>, store: Store, every: std::time::Duration) {
        let stage = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(stage) = stage.upgrade() else { return };
                if let Err(e) = stage.reload_revocations(&store).await {
                    tracing::error!(error = %e, "could not reload workflow revocations");
                }
            }
        });
    }
}
