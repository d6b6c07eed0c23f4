//! Identifiers a workflow token carries, validated on the way in: workflow
//! ids, agent ids and revocation ids.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest workflow id accepted.
pub const MAX_WORKFLOW_ID_LEN: usize = 64;
/// Longest agent id accepted.
pub const MAX_AGENT_ID_LEN: usize = 128;

/// Why an identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("workflow id must be 1-{MAX_WORKFLOW_ID_LEN} of letters, digits, '-' and '_'")]
    WorkflowId,
    #[error(
        "agent id must be 1-{MAX_AGENT_ID_LEN} of letters, digits and '.', '_', '-', ':', '@'"
    )]
    AgentId,
    #[error("revocation id must be lowercase hex of 64 bytes")]
    RevocationId,
}

/// Identifier of one workflow (`wf_` and 32 hex digits when Behavry mints it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkflowId(String);

impl WorkflowId {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let ok = !text.is_empty()
            && text.len() <= MAX_WORKFLOW_ID_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(WorkflowId(text.to_string()))
        } else {
            Err(IdError::WorkflowId)
        }
    }

    /// A fresh random id.
    pub fn generate() -> Self {
        WorkflowId(format!("wf_{}", uuid::Uuid::new_v4().simple()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WorkflowId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        WorkflowId::parse(&value)
    }
}

impl From<WorkflowId> for String {
    fn from(value: WorkflowId) -> Self {
        value.0
    }
}

impl fmt::Display for WorkflowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of a registered agent, as the gateway established it from the
/// agent's credential (a delegation names its delegatee by this id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgentRef(String);

impl AgentRef {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let ok = !text.is_empty()
            && text.len() <= MAX_AGENT_ID_LEN
            && text.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'@')
            });
        if ok {
            Ok(AgentRef(text.to_string()))
        } else {
            Err(IdError::AgentId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AgentRef {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        AgentRef::parse(&value)
    }
}

impl From<AgentRef> for String {
    fn from(value: AgentRef) -> Self {
        value.0
    }
}

impl fmt::Display for AgentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A block's revocation id: its signature, in lowercase hex. Revoking it
/// invalidates that block and every token that contains it, so every token
/// delegated from it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RevocationId(String);

impl RevocationId {
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        RevocationId(hex::encode(bytes))
    }

    pub fn parse(text: &str) -> Result<Self, IdError> {
        let ok = text.len() == 128
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(RevocationId(text.to_string()))
        } else {
            Err(IdError::RevocationId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RevocationId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RevocationId::parse(&value)
    }
}

impl From<RevocationId> for String {
    fn from(value: RevocationId) -> Self {
        value.0
    }
}

impl fmt::Display for RevocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_ids() {
        assert!(WorkflowId::parse("wf_0123abc").is_ok());
        let generated = WorkflowId::generate();
        assert!(WorkflowId::parse(generated.as_str()).is_ok());
        assert_ne!(generated, WorkflowId::generate());
        for bad in ["", "wf 1", "wf\"x", &"a".repeat(MAX_WORKFLOW_ID_LEN + 1)] {
            assert_eq!(WorkflowId::parse(bad), Err(IdError::WorkflowId), "{bad:?}");
        }
    }

    #[test]
    fn agent_ids() {
        for good in [
            "0190f3a2-7c1e-7d4b-9a55-1234567890ab",
            "mailer.bot@team",
            "svc:a_b",
        ] {
            assert!(AgentRef::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "a\"b", "é", &"a".repeat(MAX_AGENT_ID_LEN + 1)] {
            assert_eq!(AgentRef::parse(bad), Err(IdError::AgentId), "{bad:?}");
        }
        assert!(serde_json::from_str::<AgentRef>("\"a b\"").is_err());
    }

    #[test]
    fn revocation_ids() {
        let id = RevocationId::from_bytes(&[0xab; 64]);
        assert_eq!(RevocationId::parse(id.as_str()), Ok(id));
        assert!(RevocationId::parse(&"AB".repeat(64)).is_err());
        assert!(RevocationId::parse("abcd").is_err());
    }
}
