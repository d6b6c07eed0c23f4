//! Who is calling the admin API. Every `/v1` route runs behind the auth
//! middleware, which puts an [`Operator`] into the request extensions;
//! handlers check the role they need with [`Operator::require`].
//!
//! Agent credentials are never operators: the middleware only accepts the
//! admin token, an operator session (cookie + CSRF header) or an operator
//! API token.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};

/// What an operator may do. Ordered: each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read everything; change nothing.
    Viewer,
    /// Also decide approvals and engage / release kill switches.
    Approver,
    /// Also manage agents, operators, policy and settings.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Role::Viewer),
            "approver" => Some(Role::Approver),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticated operator, as established by the auth middleware.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// Recorded in the trace as the actor (`admin` for the admin token).
    pub name: String,
    pub role: Role,
    /// Approval groups this operator belongs to (approval rules name them).
    #[serde(default)]
    pub groups: Vec<String>,
}

impl Operator {
    /// The operator behind the deployment's admin token.
    pub fn admin_token() -> Self {
        Operator {
            name: "admin".into(),
            role: Role::Admin,
            groups: Vec::new(),
        }
    }

    /// `Forbidden` unless this operator has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "operator `{}` has role {}; this action needs {}",
                self.name, self.role, role
            )))
        }
    }

    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Role::Viewer < Role::Approver && Role::Approver < Role::Admin);
        for role in [Role::Viewer, Role::Approver, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Admin"), None);
    }

    #[test]
    fn require_checks_the_role() {
        let viewer = Operator {
            name: "v".into(),
            role: Role::Viewer,
            groups: vec![],
        };
        assert!(viewer.require(Role::Viewer).is_ok());
        assert!(viewer.require(Role::Approver).is_err());
        assert!(Operator::admin_token().require(Role::Admin).is_ok());
    }
}
