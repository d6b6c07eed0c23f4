//! Name patterns for scopes: an exact name, or a prefix ending in a single
//! trailing `*` (`db.*`, `db.read_*`, `files://reports/*`, `*`).
//!
//! The pattern language is deliberately limited to exact names and prefixes
//! so that the operations scopes need are exact and cheap:
//! - the intersection of two patterns is again a pattern (or nothing);
//! - `a ⊆ b` is decided exactly for two patterns.
//!
//! A `PatternSet` is a normalised union of patterns: no member is covered by
//! another, kept sorted. The empty set matches nothing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Longest pattern text accepted.
pub const MAX_PATTERN_LEN: usize = 512;

/// Why a pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("a pattern must not be empty")]
    Empty,
    #[error("a pattern is longer than {MAX_PATTERN_LEN} characters")]
    TooLong,
    #[error("pattern `{0}` contains a control character")]
    ControlCharacter(String),
    #[error("pattern `{0}` has a `*` before its end; only one trailing `*` is supported")]
    InnerWildcard(String),
}

/// One pattern: an exact name or a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pattern {
    /// Matches exactly this name.
    Exact(String),
    /// Matches every name starting with this text (`""` matches everything).
    Prefix(String),
}

impl Pattern {
    /// Parse `text`: a trailing `*` makes it a prefix pattern.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        if text.is_empty() {
            return Err(PatternError::Empty);
        }
        if text.len() > MAX_PATTERN_LEN {
            return Err(PatternError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(PatternError::ControlCharacter(text.to_string()));
        }
        match text.strip_suffix('*') {
            Some(prefix) if prefix.contains('*') => {
                Err(PatternError::InnerWildcard(text.to_string()))
            }
            Some(prefix) => Ok(Pattern::Prefix(prefix.to_string())),
            None if text.contains('*') => Err(PatternError::InnerWildcard(text.to_string())),
            None => Ok(Pattern::Exact(text.to_string())),
        }
    }

    /// Does this pattern match `name`?
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::Exact(exact) => exact == name,
            Pattern::Prefix(prefix) => name.starts_with(prefix.as_str()),
        }
    }

    /// Is every name matched by `self` also matched by `other`?
    pub fn is_covered_by(&self, other: &Pattern) -> bool {
        match (self, other) {
            (Pattern::Exact(a), Pattern::Exact(b)) => a == b,
            (Pattern::Exact(a), Pattern::Prefix(p)) => a.starts_with(p.as_str()),
            (Pattern::Prefix(_), Pattern::Exact(_)) => false,
            (Pattern::Prefix(a), Pattern::Prefix(p)) => a.starts_with(p.as_str()),
        }
    }

    /// The names matched by both patterns, as a pattern; `None` when disjoint.
    pub fn intersect(&self, other: &Pattern) -> Option<Pattern> {
        if self.is_covered_by(other) {
            Some(self.clone())
        } else if other.is_covered_by(self) {
            Some(other.clone())
        } else {
            None
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Exact(exact) => f.write_str(exact),
            Pattern::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Pattern::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A normalised union of patterns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PatternSet {
    patterns: BTreeSet<Pattern>,
}

impl PatternSet {
    /// The set matching nothing.
    pub fn empty() -> Self {
        PatternSet::default()
    }

    /// The set matching every name (`*`).
    pub fn everything() -> Self {
        PatternSet::from_patterns([Pattern::Prefix(String::new())])
    }

    /// Parse each text as a pattern.
    pub fn parse<I, S>(texts: I) -> Result<Self, PatternError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let patterns = texts
            .into_iter()
            .map(|t| Pattern::parse(t.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PatternSet::from_patterns(patterns))
    }

    /// Build a set, dropping every pattern covered by another.
    pub fn from_patterns<I: IntoIterator<Item = Pattern>>(patterns: I) -> Self {
        let all: BTreeSet<Pattern> = patterns.into_iter().collect();
        let patterns = all
            .iter()
            .filter(|p| !all.iter().any(|q| q != *p && p.is_covered_by(q)))
            .cloned()
            .collect();
        PatternSet { patterns }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Pattern> {
        self.patterns.iter()
    }

    /// Does any pattern match `name`?
    pub fn matches(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(name))
    }

    /// The names matched by both sets.
    pub fn intersect(&self, other: &PatternSet) -> PatternSet {
        PatternSet::from_patterns(
            self.patterns
                .iter()
                .flat_map(|a| other.patterns.iter().filter_map(move |b| a.intersect(b))),
        )
    }

    /// True when every name matched by `self` is matched by `other`.
    ///
    /// Sound (a `true` answer is always right); it answers `false` in the
    /// one case where a prefix is covered only by enumerating every possible
    /// continuation with separate patterns, which never narrows anything.
    pub fn is_subset_of(&self, other: &PatternSet) -> bool {
        self.patterns
            .iter()
            .all(|a| other.patterns.iter().any(|b| a.is_covered_by(b)))
    }

    /// The patterns as text, sorted.
    pub fn to_strings(&self) -> Vec<String> {
        let mut texts: Vec<String> = self.patterns.iter().map(ToString::to_string).collect();
        texts.sort();
        texts
    }
}

impl Serialize for PatternSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.patterns.iter())
    }
}

impl<'de> Deserialize<'de> for PatternSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let patterns = Vec::<Pattern>::deserialize(deserializer)?;
        Ok(PatternSet::from_patterns(patterns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap()
    }

    #[test]
    fn parses_exact_and_prefix_and_rejects_the_rest() {
        assert_eq!(p("db.query"), Pattern::Exact("db.query".into()));
        assert_eq!(p("db.*"), Pattern::Prefix("db.".into()));
        assert_eq!(p("*"), Pattern::Prefix(String::new()));
        for bad in ["", "*.query", "db.*.x", "a**", "db\n*"] {
            assert!(Pattern::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(
            Pattern::parse(&"a".repeat(MAX_PATTERN_LEN + 1)),
            Err(PatternError::TooLong)
        );
    }

    #[test]
    fn matching_and_cover_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("db.query", "db.query", true),
            ("db.query", "db.query2", false),
            ("db.*", "db.query", true),
            ("db.*", "db.", true),
            ("db.*", "files.read", false),
            ("*", "anything", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(p(pattern).matches(name), *expected, "{pattern} vs {name}");
        }
        assert!(p("db.query").is_covered_by(&p("db.*")));
        assert!(p("db.read_*").is_covered_by(&p("db.*")));
        assert!(!p("db.*").is_covered_by(&p("db.read_*")));
        assert!(!p("db.*").is_covered_by(&p("db.query")));
    }

    #[test]
    fn set_normalises_and_intersects() {
        let set = PatternSet::parse(["db.*", "db.query", "files.read"]).unwrap();
        assert_eq!(set.to_strings(), vec!["db.*", "files.read"]);
        let other = PatternSet::parse(["db.read_*", "files.*", "mail.send"]).unwrap();
        let both = set.intersect(&other);
        assert_eq!(both.to_strings(), vec!["db.read_*", "files.read"]);
        assert!(both.is_subset_of(&set));
        assert!(both.is_subset_of(&other));
        assert!(PatternSet::empty().is_subset_of(&set));
        assert!(!set.is_subset_of(&PatternSet::empty()));
        assert!(set.is_subset_of(&PatternSet::everything()));
    }

    #[test]
    fn serde_round_trip_normalises() {
        let set: PatternSet = serde_json::from_str(r#"["db.*","db.query"]"#).unwrap();
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"["db.*"]"#);
        assert!(serde_json::from_str::<PatternSet>(r#"["*.x"]"#).is_err());
    }
}
