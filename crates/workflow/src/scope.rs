//! The rights a workflow token carries: which tools (`upstream.tool`
//! patterns), which resources (prefix patterns), and which capability flags
//! (`write`, `outbound`).
//!
//! Scopes form a lattice under `intersect`; a delegation chain's effective
//! scope is the intersection of every hop, so no hop can add a right that an
//! earlier hop lacks. The empty scope permits nothing.

use crate::pattern::{PatternError, PatternSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Most patterns a scope may hold in one of its sets.
pub const MAX_PATTERNS: usize = 64;

/// A capability that a call may need beyond naming an allowed tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    /// The call changes state (writes rows, files, records).
    Write,
    /// The call sends data outside the organisation (e-mail, webhooks, uploads).
    Outbound,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Write => "write",
            Flag::Outbound => "outbound",
        }
    }

    pub fn parse(text: &str) -> Option<Flag> {
        match text {
            "write" => Some(Flag::Write),
            "outbound" => Some(Flag::Outbound),
            _ => None,
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a scope could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error("unknown flag `{0}` (expected `write` or `outbound`)")]
    UnknownFlag(String),
    #[error("a scope may hold at most {MAX_PATTERNS} {0} patterns")]
    TooManyPatterns(&'static str),
}

/// A set of rights.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Allowed tools as `upstream.tool` patterns.
    #[serde(default)]
    pub tools: PatternSet,
    /// Allowed resources (URIs or other names the gateway gives them) as patterns.
    #[serde(default)]
    pub resources: PatternSet,
    /// Capabilities granted.
    #[serde(default)]
    pub flags: BTreeSet<Flag>,
}

/// What one call needs from a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTarget<'a> {
    /// `upstream.tool` (for resources, the gateway's name for the read).
    pub tool: &'a str,
    /// The resource the call touches, when there is one.
    pub resource: Option<&'a str>,
    /// The call writes.
    pub write: bool,
    /// The call sends data out.
    pub outbound: bool,
}

impl<'a> CallTarget<'a> {
    /// A call to `tool` with no resource and no flags.
    pub fn tool(tool: &'a str) -> Self {
        CallTarget {
            tool,
            resource: None,
            write: false,
            outbound: false,
        }
    }
}

/// The first right a call lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeViolation {
    #[error("tool `{0}` is outside the workflow scope")]
    Tool(String),
    #[error("resource `{0}` is outside the workflow scope")]
    Resource(String),
    #[error("the workflow scope does not grant `{0}`")]
    Flag(Flag),
}

impl Scope {
    /// The scope permitting nothing.
    pub fn empty() -> Self {
        Scope::default()
    }

    /// Every tool, every resource, every flag.
    pub fn everything() -> Self {
        Scope {
            tools: PatternSet::everything(),
            resources: PatternSet::everything(),
            flags: [Flag::Write, Flag::Outbound].into_iter().collect(),
        }
    }

    /// Build from text patterns and flag names, validating each.
    pub fn parse<T: AsRef<str>>(
        tools: &[T],
        resources: &[T],
        flags: &[T],
    ) -> Result<Self, ScopeError> {
        let flags = flags
            .iter()
            .map(|f| {
                Flag::parse(f.as_ref())
                    .ok_or_else(|| ScopeError::UnknownFlag(f.as_ref().to_string()))
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        let scope = Scope {
            tools: PatternSet::parse(tools)?,
            resources: PatternSet::parse(resources)?,
            flags,
        };
        scope.validate()?;
        Ok(scope)
    }

    /// Check the size bounds (parsing already validated each pattern).
    pub fn validate(&self) -> Result<(), ScopeError> {
        if self.tools.len() > MAX_PATTERNS {
            return Err(ScopeError::TooManyPatterns("tool"));
        }
        if self.resources.len() > MAX_PATTERNS {
            return Err(ScopeError::TooManyPatterns("resource"));
        }
        Ok(())
    }

    /// The rights present in both scopes.
    pub fn intersect(&self, other: &Scope) -> Scope {
        Scope {
            tools: self.tools.intersect(&other.tools),
            resources: self.resources.intersect(&other.resources),
            flags: self.flags.intersection(&other.flags).copied().collect(),
        }
    }

    /// True when `self` grants nothing that `other` does not.
    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.tools.is_subset_of(&other.tools)
            && self.resources.is_subset_of(&other.resources)
            && self.flags.is_subset(&other.flags)
    }

    /// May a call to `tool`, touching `resource` when given, be made?
    pub fn permits(&self, tool: &str, resource: Option<&str>) -> bool {
        self.check(&CallTarget {
            tool,
            resource,
            write: false,
            outbound: false,
        })
        .is_ok()
    }

    /// Check a call against the scope, naming the first right it lacks.
    pub fn check(&self, call: &CallTarget<'_>) -> Result<(), ScopeViolation> {
        if !self.tools.matches(call.tool) {
            return Err(ScopeViolation::Tool(call.tool.to_string()));
        }
        if let Some(resource) = call.resource {
            if !self.resources.matches(resource) {
                return Err(ScopeViolation::Resource(resource.to_string()));
            }
        }
        if call.write && !self.flags.contains(&Flag::Write) {
            return Err(ScopeViolation::Flag(Flag::Write));
        }
        if call.outbound && !self.flags.contains(&Flag::Outbound) {
            return Err(ScopeViolation::Flag(Flag::Outbound));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(tools: &[&str], resources: &[&str], flags: &[&str]) -> Scope {
        Scope::parse(tools, resources, flags).unwrap()
    }

    #[test]
    fn check_names_the_missing_right() {
        let s = scope(&["db.*", "mail.send"], &["files://reports/*"], &["write"]);
        assert_eq!(s.check(&CallTarget::tool("db.query")), Ok(()));
        assert_eq!(
            s.check(&CallTarget::tool("files.read")),
            Err(ScopeViolation::Tool("files.read".into()))
        );
        let read = CallTarget {
            resource: Some("files://secrets/key"),
            ..CallTarget::tool("db.query")
        };
        assert_eq!(
            s.check(&read),
            Err(ScopeViolation::Resource("files://secrets/key".into()))
        );
        let send = CallTarget {
            outbound: true,
            ..CallTarget::tool("mail.send")
        };
        assert_eq!(s.check(&send), Err(ScopeViolation::Flag(Flag::Outbound)));
        let write = CallTarget {
            write: true,
            ..CallTarget::tool("db.insert")
        };
        assert_eq!(s.check(&write), Ok(()));
        assert!(s.permits("db.query", Some("files://reports/q3.csv")));
        assert!(!s.permits("db.query", Some("files://other")));
    }

    #[test]
    fn intersect_keeps_only_common_rights() {
        let a = scope(&["db.*", "mail.send"], &["*"], &["write", "outbound"]);
        let b = scope(&["db.query", "files.*"], &["files://reports/*"], &["write"]);
        let both = a.intersect(&b);
        assert_eq!(
            both,
            scope(&["db.query"], &["files://reports/*"], &["write"])
        );
        assert!(both.is_subset_of(&a) && both.is_subset_of(&b));
        assert!(!a.is_subset_of(&b));
    }

    #[test]
    fn rejects_unknown_flags_fields_and_oversized_sets() {
        assert_eq!(
            Scope::parse(&["db.*"], &[], &["admin"]),
            Err(ScopeError::UnknownFlag("admin".into()))
        );
        assert!(serde_json::from_str::<Scope>(r#"{"tools":["*"],"root":true}"#).is_err());
        let many: Vec<String> = (0..=MAX_PATTERNS).map(|i| format!("t.{i}")).collect();
        let empty: Vec<String> = Vec::new();
        assert_eq!(
            Scope::parse(&many, &empty, &empty),
            Err(ScopeError::TooManyPatterns("tool"))
        );
    }

    #[test]
    fn empty_scope_permits_nothing() {
        assert!(!Scope::empty().permits("db.query", None));
        assert!(Scope::everything().permits("db.query", Some("x")));
    }
}
