//! Records the store reads and writes. Credential hashes appear only in
//! [`NewAgent`] and [`AgentRecord`], whose `Debug` output hides them and
//! which deliberately do not implement `Serialize`.

use behavry_core::{AgentId, AgentIdentity};

use std::collections::BTreeMap;
use time::OffsetDateTime;

const HIDDEN: &str = "[hidden]";

/// A new agent to register. `credential_hash` is the lowercase hex SHA-256 of
/// the credential; the credential itself never reaches the store.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAgent {
    pub name: String,
    pub role: String,
    pub labels: BTreeMap<String, String>,
    pub owner: Option<String>,
    pub credential_hash: String,
}

impl std::fmt::Debug for NewAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAgent")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("labels", &self.labels)
            .field("owner", &self.owner)
            .field("credential_hash", &HIDDEN)
            .finish()
    }
}

/// A registered agent.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub id: AgentId,
    pub name: String,
    pub role: String,
    pub labels: BTreeMap<String, String>,
    pub owner: Option<String>,
    /// Lowercase hex SHA-256 of the current credential.
    pub credential_hash: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

impl AgentRecord {
    /// The identity policy sees for this agent.
    pub fn identity(&self) -> AgentIdentity {
        AgentIdentity {
            id: self.id.clone(),
            name: self.name.clone(),
            role: self.role.clone(),
            labels: self.labels.clone(),
            owner: self.owner.clone(),
        }
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

impl std::fmt::Debug for AgentRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("labels", &self.labels)
            .field("owner", &self.owner)
            .field("credential_hash", &HIDDEN)
            .field("created_at", &self.created_at)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_credential_hashes() {
        let hash = "ab".repeat(32);
        let new = NewAgent {
            name: "a".into(),
            role: "r".into(),
            labels: BTreeMap::new(),
            owner: None,
            credential_hash: hash.clone(),
        };
        let record = AgentRecord {
            id: AgentId("id".into()),
            name: "a".into(),
            role: "r".into(),
            labels: BTreeMap::new(),
            owner: None,
            credential_hash: hash.clone(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            revoked_at: None,
        };
        for shown in [
            format!("{new:?}"),
            format!("{record:?}"),
            format!("{record:#?}"),
        ] {
            assert!(!shown.contains(&hash), "hash leaked in {shown}");
            assert!(shown.contains(HIDDEN));
        }
    }

    #[test]
    fn approval_status_round_trips_through_text() {
        use crate::ApprovalStatus;
        for status in [
            ApprovalStatus::Pending,
            ApprovalStatus::Approved,
            ApprovalStatus::Rejected,
            ApprovalStatus::Expired,
        ] {
            assert_eq!(ApprovalStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ApprovalStatus::parse("Approved"), None);
    }
}
