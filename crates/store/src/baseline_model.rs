//! Records of persisted behavioural baselines. The profile itself is an
//! opaque JSON document owned by `behavry-baseline` (it carries its own
//! format version); the store only keeps the latest one per kind and key.

use time::OffsetDateTime;

/// Whose profile a baseline record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BaselineKind {
    /// One agent's profile, keyed by agent name.
    Agent,
    /// One role's peer profile, keyed by role name.
    Role,
}

impl BaselineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineKind::Agent => "agent",
            BaselineKind::Role => "role",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(BaselineKind::Agent),
            "role" => Some(BaselineKind::Role),
            _ => None,
        }
    }
}

/// One persisted profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineRecord {
    pub kind: BaselineKind,
    /// Agent or role name; never empty.
    pub key: String,
    pub json: String,
    pub updated_at: OffsetDateTime,
}
