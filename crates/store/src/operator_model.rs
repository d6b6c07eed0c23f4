//! Records for console operators and their sessions. Password hashes and
//! session id hashes never appear in `Debug` output, and these types do not
//! implement `Serialize`: the admin API builds its own views.

use time::OffsetDateTime;

const HIDDEN: &str = "[hidden]";

/// The roles the store accepts, lowest first.
pub const OPERATOR_ROLES: [&str; 3] = ["viewer", "approver", "admin"];

/// A new operator. `password_hash` is an Argon2id PHC string
/// (`$argon2id$...`) computed by the caller, or `None` for an operator who
/// cannot sign in with a password yet.
#[derive(Clone, PartialEq, Eq)]
pub struct NewOperator {
    pub name: String,
    pub role: String,
    pub groups: Vec<String>,
    pub password_hash: Option<String>,
}

/// What [`crate::StoreBackend::update_operator`] changes; `None` keeps a field.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OperatorUpdate {
    pub role: Option<String>,
    pub groups: Option<Vec<String>>,
    pub password_hash: Option<String>,
}

/// A stored operator.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    /// UUID v4 text, assigned by the store.
    pub id: String,
    pub name: String,
    pub role: String,
    pub groups: Vec<String>,
    pub password_hash: Option<String>,
    pub created_at: OffsetDateTime,
    pub disabled_at: Option<OffsetDateTime>,
}

impl OperatorRecord {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// A console session to store. `id_hash` is the lowercase hex SHA-256 of the
/// session id the browser holds; `operator_id` is `None` for a session
/// opened with the admin token.
#[derive(Clone, PartialEq, Eq)]
pub struct NewConsoleSession {
    pub id_hash: String,
    pub operator_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A stored console session.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsoleSessionRecord {
    pub id_hash: String,
    pub operator_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// Absolute expiry, fixed at creation.
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for NewOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOperator")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("groups", &self.groups)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| HIDDEN),
            )
            .finish()
    }
}

impl std::fmt::Debug for OperatorUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorUpdate")
            .field("role", &self.role)
            .field("groups", &self.groups)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| HIDDEN),
            )
            .finish()
    }
}

impl std::fmt::Debug for OperatorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("groups", &self.groups)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| HIDDEN),
            )
            .field("created_at", &self.created_at)
            .field("disabled_at", &self.disabled_at)
            .finish()
    }
}

impl std::fmt::Debug for NewConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewConsoleSession")
            .field("id_hash", &HIDDEN)
            .field("operator_id", &self.operator_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl std::fmt::Debug for ConsoleSessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSessionRecord")
            .field("id_hash", &HIDDEN)
            .field("operator_id", &self.operator_id)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let phc = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_string();
        let id_hash = "cd".repeat(32);
        let record = OperatorRecord {
            id: "i".into(),
            name: "n".into(),
            role: "admin".into(),
            groups: vec![],
            password_hash: Some(phc.clone()),
            created_at: OffsetDateTime::UNIX_EPOCH,
            disabled_at: None,
        };
        let session = ConsoleSessionRecord {
            id_hash: id_hash.clone(),
            operator_id: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            last_seen_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: OffsetDateTime::UNIX_EPOCH,
        };
        let update = OperatorUpdate {
            password_hash: Some(phc.clone()),
            ..OperatorUpdate::default()
        };
        for shown in [
            format!("{record:?}"),
            format!("{session:?}"),
            format!("{update:?}"),
        ] {
            assert!(
                !shown.contains(&phc) && !shown.contains(&id_hash),
                "{shown}"
            );
        }
    }
}
