//! Input checks and state rules shared by every backend, so each refuses
//! the same values with the same errors and applies votes the same way.

use crate::{ApprovalRecord, ApprovalStatus, ApprovalVote, NewVote, StoreError, OPERATOR_ROLES};
use time::OffsetDateTime;

/// A credential hash must be exactly 64 lowercase hex digits (SHA-256).
pub(crate) fn credential_hash(hash: &str) -> Result<(), StoreError> {
    if is_sha256_hex(hash) {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "credential hash must be 64 lowercase hex digits (sha-256)".to_string(),
        ))
    }
}

/// A console session id hash must be 64 lowercase hex digits (SHA-256).
pub(crate) fn session_id_hash(hash: &str) -> Result<(), StoreError> {
    if is_sha256_hex(hash) {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "session id hash must be 64 lowercase hex digits (sha-256)".to_string(),
        ))
    }
}

fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub(crate) fn operator_role(role: &str) -> Result<(), StoreError> {
    if OPERATOR_ROLES.contains(&role) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "operator role must be one of viewer, approver, admin (got `{role}`)"
        )))
    }
}

pub(crate) fn password_hash(hash: &str) -> Result<(), StoreError> {
    if hash.starts_with("$argon2id$") && hash.len() <= 512 {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "password hash must be an argon2id PHC string".to_string(),
        ))
    }
}

/// The state an approval moves to when `vote` is added to `current`.
#[derive(Debug)]
pub(crate) struct VoteOutcome {
    pub(crate) votes: Vec<ApprovalVote>,
    pub(crate) status: ApprovalStatus,
}

impl VoteOutcome {
    pub(crate) fn decided(&self) -> bool {
        self.status != ApprovalStatus::Pending
    }
}

/// Apply one operator's vote to the approval as it is now. A deny rejects
/// at once; reaching the rule's required distinct approvals approves.
/// `Conflict` when the approval is decided or expired or the operator
/// already voted; `Invalid` for edited arguments on a multi-approval rule.
pub(crate) fn apply_vote(
    current: &ApprovalRecord,
    vote: &NewVote,
    now: OffsetDateTime,
) -> Result<VoteOutcome, StoreError> {
    let id = &current.id;
    if current.status != ApprovalStatus::Pending {
        return Err(StoreError::Conflict(format!(
            "approval {id} is already {}",
            current.status
        )));
    }
    if current.expires_at <= now {
        return Err(StoreError::Conflict(format!("approval {id} has expired")));
    }
    if current.votes.iter().any(|v| v.operator == vote.operator) {
        return Err(StoreError::Conflict(format!(
            "operator `{}` has already voted on approval {id}",
            vote.operator
        )));
    }
    let required = current.rule.required_approvals.max(1) as usize;
    if vote.edited_arguments.is_some() && required > 1 {
        return Err(StoreError::Invalid(format!(
            "approval {id} needs {required} approvals; edit-and-approve is only for single-approval rules"
        )));
    }
    let mut votes = current.votes.clone();
    votes.push(ApprovalVote {
        operator: vote.operator.clone(),
        action: if vote.approve { "approve" } else { "deny" }.to_string(),
        reason: vote.reason.clone(),
        at: now,
    });
    let approvals = votes.iter().filter(|v| v.action == "approve").count();
    let status = if !vote.approve {
        ApprovalStatus::Rejected
    } else if approvals >= required {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::Pending
    };
    Ok(VoteOutcome { votes, status })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_formats_are_enforced() {
        let cases = [
            ("0123456789abcdef".repeat(4), true),
            ("0123456789ABCDEF".repeat(4), false),
            ("ab".repeat(31), false),
            ("ab".repeat(33), false),
            ("zz".repeat(32), false),
            (String::new(), false),
        ];
        for (hash, ok) in cases {
            assert_eq!(credential_hash(&hash).is_ok(), ok, "{hash}");
            assert_eq!(session_id_hash(&hash).is_ok(), ok, "{hash}");
        }
    }

    #[test]
    fn roles_and_password_hash_formats_are_enforced() {
        for (role, ok) in [
            ("viewer", true),
            ("admin", true),
            ("Admin", false),
            ("", false),
        ] {
            assert_eq!(operator_role(role).is_ok(), ok, "{role}");
        }
        for (hash, ok) in [
            ("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", true),
            ("$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", false),
            ("plaintext", false),
        ] {
            assert_eq!(password_hash(hash).is_ok(), ok, "{hash}");
        }
    }
}
