//! Verifying a workflow token on a call.
//!
//! `read_chain` (signatures, canonical delegation blocks, authority facts,
//! hop records) depends only on the token, so `TokenVerifier` caches it by
//! the token's SHA-256. Every call then checks, in this order: workflow
//! stopped, any hop revoked, earliest expiry passed, depth over the limit,
//! presenter not the last delegatee. The first failure is the denial.
//!
//! The per-call checks are plain comparisons: no Datalog runs on the hot
//! path, so no evaluation time limit can turn a busy scheduler into a
//! denial. The Datalog checks a token carries are its expiries, which are
//! exactly what the expiry check enforces (see `format`).

use crate::authority::DEFAULT_MAX_DEPTH;
use crate::cache::TokenCache;
use crate::chain::{read_chain, ChainInfo, ParsedToken};
use crate::denial::WorkflowDenial;
use crate::format::malformed;
use crate::revocation::RevocationCheck;
use crate::scope::CallTarget;
use biscuit_auth::datalog::RunLimits;
use biscuit_auth::error::{Format, Token};
use biscuit_auth::PublicKey;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Longest token accepted, in characters of base64.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024;

/// The Datalog run limits used when a token is first read. Delegation
/// blocks are checked structurally before the engine sees them and the
/// authority block holds facts only, so no rule is ever evaluated and these
/// limits are a backstop; they are set explicitly all the same, with a
/// time limit well above Biscuit's 1 ms default, which turns scheduler
/// pauses on a busy host into spurious denials. Any limit error denies
/// (as a malformed token).
pub fn default_run_limits() -> RunLimits {
    RunLimits {
        max_facts: 1_000,
        max_iterations: 100,
        max_time: Duration::from_millis(250),
    }
}

/// Deployment-wide verification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// Depth limit for every workflow (a workflow's own limit can only be lower).
    pub max_depth: u32,
    pub max_token_len: usize,
    pub run_limits: RunLimits,
    /// Parsed tokens kept (0 disables the cache).
    pub cache_capacity: usize,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            max_depth: DEFAULT_MAX_DEPTH,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            run_limits: default_run_limits(),
            cache_capacity: 4_096,
        }
    }
}

/// A token that passed every check for its presenter at a given time.
#[derive(Debug, Clone)]
pub struct VerifiedChain {
    info: Arc<ChainInfo>,
}

impl Deref for VerifiedChain {
    type Target = ChainInfo;
    fn deref(&self) -> &ChainInfo {
        &self.info
    }
}

impl VerifiedChain {
    /// Is this call within the effective scope (every hop's intersection)?
    pub fn check_call(&self, call: &CallTarget<'_>) -> Result<(), WorkflowDenial> {
        self.info
            .effective_scope
            .check(call)
            .map_err(WorkflowDenial::ScopeExceeded)
    }
}

/// Verifies tokens against the deployment's root public key, with a cache
/// of parsed chains.
pub struct TokenVerifier {
    public_key: PublicKey,
    config: VerifierConfig,
    cache: TokenCache,
}

impl TokenVerifier {
    pub fn new(public_key: PublicKey, config: VerifierConfig) -> Self {
        let cache = TokenCache::new(config.cache_capacity);
        TokenVerifier {
            public_key,
            config,
            cache,
        }
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Verify `token` as presented by `presenter` (the agent id established
    /// from its own credential) at `now`.
    pub fn verify(
        &self,
        token: &str,
        presenter: &str,
        now: OffsetDateTime,
        revocations: &dyn RevocationCheck,
    ) -> Result<VerifiedChain, WorkflowDenial> {
        if token.len() > self.config.max_token_len {
            return Err(malformed("token too long"));
        }
        let parsed = match self.cache.get(token) {
            Some(parsed) => parsed,
            None => {
                let parsed = Arc::new(read_chain(token, self.public_key, &self.config.run_limits)?);
                self.cache.insert(token, Arc::clone(&parsed));
                parsed
            }
        };
        check_parsed(&parsed, presenter, now, revocations, &self.config)
    }
}

/// Verify without a cache: signature chain, presenter, expiry, revocation
/// and depth.
pub fn verify(
    token: &str,
    presenter: &str,
    now: OffsetDateTime,
    public_key: PublicKey,
    revocations: &dyn RevocationCheck,
    config: &VerifierConfig,
) -> Result<VerifiedChain, WorkflowDenial> {
    if token.len() > config.max_token_len {
        return Err(malformed("token too long"));
    }
    let parsed = read_chain(token, public_key, &config.run_limits)?;
    check_parsed(&Arc::new(parsed), presenter, now, revocations, config)
}

fn check_parsed(
    parsed: &Arc<ParsedToken>,
    presenter: &str,
    now: OffsetDateTime,
    revocations: &dyn RevocationCheck,
    config: &VerifierConfig,
) -> Result<VerifiedChain, WorkflowDenial> {
    let info = &parsed.info;
    if revocations.is_killed(&info.workflow_id) {
        return Err(WorkflowDenial::WorkflowKilled);
    }
    for (hop, id) in info.revocation_ids().enumerate() {
        if revocations.is_revoked(id) {
            return Err(WorkflowDenial::Revoked {
                hop,
                id: id.clone(),
            });
        }
    }
    // Before 1970 counts as 0: never after any expiry.
    let now_secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    if now_secs > info.expires {
        return Err(WorkflowDenial::Expired {
            expired_at: info.expires,
        });
    }
    let max_depth = config.max_depth.min(info.max_depth);
    if info.depth > max_depth {
        return Err(WorkflowDenial::DepthExceeded {
            depth: info.depth,
            max: max_depth,
        });
    }
    if info.delegatee.as_str() != presenter {
        return Err(WorkflowDenial::NotDelegatee {
            presenter: presenter.to_string(),
            delegatee: info.delegatee.clone(),
        });
    }
    Ok(VerifiedChain {
        info: Arc::clone(info),
    })
}

/// Map a Biscuit error to the denial it stands for.
pub(crate) fn map_biscuit_error(error: &Token) -> WorkflowDenial {
    match error {
        Token::Format(
            Format::Signature(_)
            | Format::SealedSignature
            | Format::UnknownPublicKey
            | Format::UnknownExternalKey,
        ) => WorkflowDenial::BadSignature,
        Token::Format(other) => malformed(other.to_string()),
        Token::Base64(_) => malformed("not base64url"),
        other => malformed(other.to_string()),
    }
}
