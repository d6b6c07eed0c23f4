//! The Behavry gateway: the only crate on the per-call path.
//!
//! A request enters at `http` (authentication, envelope), is handled by the
//! era it belongs to (`legacy` sessions or `modern` stateless requests),
//! routed by `dispatch`, and — for `tools/call`, `resources/read` and
//! `prompts/get` — decided and recorded by `pipeline` before `forward`
//! sends it to its upstream. `reply` is the one place errors become
//! responses.

mod approval_sweep;
mod approvals;
mod clock;
mod context;
mod controls;
pub mod coordination;
mod credentials;
mod dispatch;
mod flood;
mod forward;
mod hold;
mod http;
mod intercept;
mod legacy;
mod lists;
mod metrics;
mod modern;
pub mod notify;
mod origin;
mod pinning;
mod pipeline;
mod reply;
mod risk;
mod scanning;
mod session;
mod settle;
mod stages;
mod state;
mod upstreams;
mod visibility;
mod workflow_api;
pub mod workflows;

pub use approvals::{release_of, ApprovalError, ApprovalHub, Approver, Release};
pub use clock::{Clock, ManualClock, SystemClock};
pub use controls::{compile_pattern, KillOutcome};
pub use credentials::{hash_credential, mint_credential, AgentDirectory, AuthError};
pub use http::router;
pub use metrics::Metrics;
pub use risk::RiskStage;
pub use scanning::{ContentScanning, ResultThresholds};
pub use state::{Gateway, GatewaySettings};
pub use upstreams::{UnavailableError, Upstreams};
