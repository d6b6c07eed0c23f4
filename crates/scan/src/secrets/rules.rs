//! The secret rule file: parsing, validation (every error collected) and
//! compilation. The built-in file is `rules/secrets.toml`; an operator file
//! of the same format adds rules, replaces rules with the same `id`, and
//! can `disable` built-in ones.

use crate::finding::Severity;
use regex::Regex;
use serde::Deserialize;
use std::collections::HashSet;

/// The rule-file format this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// The built-in rule file.
pub const BUILTIN: &str = include_str!("../../rules/secrets.toml");

/// Everything wrong with a rule file, one line per problem.
#[derive(Debug, thiserror::Error)]
#[error("invalid secret rules: {}", .errors.join("; "))]
pub struct RuleFileError {
    pub errors: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    version: u32,
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    allowlist: Option<AllowSpec>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
    /// Rule ids to switch off (operator files).
    #[serde(default)]
    disable: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowSpec {
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    regexes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    min_len: Option<usize>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    confidence: Option<f32>,
    #[serde(default)]
    generic: bool,
    #[serde(default)]
    validate: Option<String>,
    #[serde(default)]
    key_regex: Option<String>,
    #[serde(default)]
    allow: Vec<String>,
}

/// Extra checks implemented in code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// The secret is base64 of `user:password` with a non-empty user.
    BasicAuth,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub regex: Option<Regex>,
    pub group: usize,
    pub keywords: Vec<String>,
    pub entropy: f64,
    pub min_len: usize,
    pub severity: Severity,
    pub confidence: f32,
    pub generic: bool,
    pub validate: Option<Validator>,
    pub key_regex: Option<Regex>,
    pub allow: Vec<Regex>,
}

/// A whole compiled rule set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub revision: String,
    pub rules: Vec<Rule>,
    pub stopwords: Vec<String>,
    pub allow: Vec<Regex>,
}

impl RuleSet {
    /// The built-in rules.
    pub fn builtin() -> Result<RuleSet, RuleFileError> {
        RuleSet::from_files(BUILTIN, None)
    }

    /// The built-in rules extended (or overridden) by an operator file.
    pub fn from_files(base: &str, extra: Option<&str>) -> Result<RuleSet, RuleFileError> {
        let mut errors = Vec::new();
        let base = parse(base, "built-in", &mut errors);
        let extra = extra.and_then(|text| parse(text, "operator", &mut errors));
        let Some(base) = base else {
            return Err(RuleFileError { errors });
        };
        let mut revision = base.revision.clone().unwrap_or_else(|| "unnamed".into());
        let mut specs = base.rules;
        let mut allow = base.allowlist.unwrap_or_default();
        if let Some(extra) = extra {
            if let Some(r) = &extra.revision {
                revision = format!("{revision}+{r}");
            }
            let disabled: HashSet<&str> = extra.disable.iter().map(String::as_str).collect();
            for id in &disabled {
                if !specs.iter().any(|s| s.id == *id) {
                    errors.push(format!("disable: no rule with id `{id}`"));
                }
            }
            specs.retain(|s| !disabled.contains(s.id.as_str()));
            for spec in extra.rules {
                specs.retain(|s| s.id != spec.id);
                specs.push(spec);
            }
            if let Some(a) = extra.allowlist {
                allow.stopwords.extend(a.stopwords);
                allow.regexes.extend(a.regexes);
            }
        }
        let mut seen = HashSet::new();
        let mut rules = Vec::new();
        for spec in specs {
            if !seen.insert(spec.id.clone()) {
                errors.push(format!("rule `{}` is defined twice", spec.id));
                continue;
            }
            if let Some(rule) = compile(spec, &mut errors) {
                rules.push(rule);
            }
        }
        let global: Vec<Regex> = allow
            .regexes
            .iter()
            .filter_map(|r| match crate::regexes::regex(r) {
                Ok(re) => Some(re),
                Err(e) => {
                    errors.push(format!("allowlist regex `{r}`: {e}"));
                    None
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(RuleSet {
                revision,
                rules,
                stopwords: allow.stopwords.iter().map(|s| s.to_lowercase()).collect(),
                allow: global,
            })
        } else {
            Err(RuleFileError { errors })
        }
    }
}

fn parse(text: &str, which: &str, errors: &mut Vec<String>) -> Option<RuleFile> {
    match toml::from_str::<RuleFile>(text) {
        Ok(file) if file.version == FORMAT_VERSION => Some(file),
        Ok(file) => {
            errors.push(format!(
                "{which} file: format version {} is not supported (this build reads {FORMAT_VERSION})",
                file.version
            ));
            None
        }
        Err(e) => {
            errors.push(format!("{which} file: {e}"));
            None
        }
    }
}

fn compile(spec: RuleSpec, errors: &mut Vec<String>) -> Option<Rule> {
    let id = spec.id.clone();
    let before = errors.len();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        errors.push(format!("rule id `{id}` must be non-empty [A-Za-z0-9_-]"));
    }
    let regex = match spec.regex.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => match crate::regexes::regex(r) {
            Ok(re) => Some(re),
            Err(e) => {
                errors.push(format!("rule `{id}`: regex: {e}"));
                None
            }
        },
        None => None,
    };
    let key_regex = match spec.key_regex.as_deref() {
        Some(r) => match crate::regexes::regex(r) {
            Ok(re) => Some(re),
            Err(e) => {
                errors.push(format!("rule `{id}`: key_regex: {e}"));
                None
            }
        },
        None => None,
    };
    if regex.is_none() && key_regex.is_none() && errors.len() == before {
        errors.push(format!("rule `{id}`: needs `regex` or `key_regex`"));
    }
    let groups = regex.as_ref().map_or(0, |r| r.captures_len() - 1);
    let group = spec.secret_group.unwrap_or(usize::from(groups > 0));
    if group > groups {
        errors.push(format!(
            "rule `{id}`: secret_group {group} but the regex has {groups} groups"
        ));
    }
    let severity = match spec.severity.as_deref() {
        None => Severity::High,
        Some(s) => Severity::parse(s).unwrap_or_else(|| {
            errors.push(format!("rule `{id}`: unknown severity `{s}`"));
            Severity::High
        }),
    };
    let confidence = spec.confidence.unwrap_or(0.9);
    if !(0.0..=1.0).contains(&confidence) {
        errors.push(format!("rule `{id}`: confidence must be within 0..=1"));
    }
    let validate = match spec.validate.as_deref() {
        None => None,
        Some("basic_auth") => Some(Validator::BasicAuth),
        Some(other) => {
            errors.push(format!("rule `{id}`: unknown validator `{other}`"));
            None
        }
    };
    let mut allow = Vec::new();
    for a in &spec.allow {
        match crate::regexes::regex(a) {
            Ok(re) => allow.push(re),
            Err(e) => errors.push(format!("rule `{id}`: allow `{a}`: {e}")),
        }
    }
    if spec.keywords.iter().any(|k| k.is_empty()) {
        errors.push(format!("rule `{id}`: empty keyword"));
    }
    (errors.len() == before).then(|| Rule {
        id,
        description: spec.description,
        regex,
        group,
        keywords: spec.keywords.iter().map(|k| k.to_lowercase()).collect(),
        entropy: spec.entropy.unwrap_or(0.0),
        min_len: spec.min_len.unwrap_or(8),
        severity,
        confidence,
        generic: spec.generic,
        validate,
        key_regex,
        allow,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_compile() {
        let set = RuleSet::builtin().unwrap();
        assert!(set.rules.len() >= 40, "{}", set.rules.len());
        assert!(set.revision.starts_with("20"));
    }

    #[test]
    fn operator_file_adds_replaces_and_disables() {
        let extra = r#"
            version = 1
            revision = "acme.1"
            disable = ["jwt"]
            [[rule]]
            id = "acme-token"
            regex = '''\b(acme_[a-z0-9]{20})\b'''
            keywords = ["acme_"]
            [[rule]]
            id = "github-token"
            regex = '''\b(ghp_[A-Za-z0-9]{36})\b'''
            severity = "critical"
        "#;
        let set = RuleSet::from_files(BUILTIN, Some(extra)).unwrap();
        assert!(set.revision.ends_with("+acme.1"));
        assert!(set.rules.iter().any(|r| r.id == "acme-token"));
        assert!(!set.rules.iter().any(|r| r.id == "jwt"));
        let gh = set.rules.iter().find(|r| r.id == "github-token").unwrap();
        assert_eq!(gh.severity, Severity::Critical);
    }

    #[test]
    fn errors_are_collected() {
        let extra = r#"
            version = 1
            disable = ["no-such-rule"]
            [[rule]]
            id = "bad regex"
            regex = '''(unclosed'''
            severity = "apocalyptic"
            [[rule]]
            id = "nothing"
        "#;
        let err = RuleSet::from_files(BUILTIN, Some(extra)).unwrap_err();
        assert!(err.errors.len() >= 4, "{:?}", err.errors);
        let err = RuleSet::from_files("version = 2", None).unwrap_err();
        assert!(err.errors[0].contains("format version 2"));
        assert!(RuleSet::from_files("version = 1\nbogus = 3", None).is_err());
    }
}
