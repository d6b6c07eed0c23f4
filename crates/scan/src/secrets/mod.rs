//! Secrets in arguments and results: provider key formats, private keys,
//! credentials in URLs and headers, and values assigned to secret-named
//! variables (entropy-checked), driven by the rule file ([`rules`]).
//!
//! Invariants: a rule's regex runs only when one of its keywords occurs
//! (one Aho-Corasick pass finds them all), every regex is linear-time, and
//! findings never carry the secret: evidence is [`redact_value`].

pub mod rules;

use crate::finding::{redact_value, Finding, Kind};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine as _;
use regex::RegexSet;
pub use rules::{Rule, RuleFileError, RuleSet, Validator};

const SCANNER: &str = "secrets";

/// The compiled secret scanner.
#[derive(Debug, Clone)]
pub struct SecretScanner {
    set: RuleSet,
    keywords: Option<AhoCorasick>,
    /// Pattern index in `keywords` → rule indices.
    keyword_rules: Vec<Vec<usize>>,
    /// Regex rules without keywords: always run.
    always: Vec<usize>,
    key_rules: Vec<usize>,
    stopwords: Option<AhoCorasick>,
    not_secret: RegexSet,
}

/// Values that are identifiers of other kinds, never credentials by
/// themselves: digests, UUIDs, versions, trace ids, addresses, paths,
/// public keys, references.
const NOT_SECRET: &[&str] = &[
    r"^[0-9a-fA-F]{16,}$",
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    r"^0x[0-9a-fA-F]+$",
    r"^v?\d+(\.\d+)+([-+][0-9A-Za-z.+-]*)?$",
    r"^(sha1|sha256|sha384|sha512|md5)-",
    r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
    r"^data:",
    r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-)",
    r"^-----BEGIN",
    r"^[A-Za-z][A-Za-z0-9+.-]*://",
    r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+(\(\))?$",
    r"^[a-z]+([_-][a-z]+)+$",
    r"^(/|\./|\.\./|~/)",
    r"^[A-Z][A-Z0-9_]*$",
];

impl SecretScanner {
    /// Builds the scanner from a compiled rule set.
    pub fn new(set: RuleSet) -> Result<SecretScanner, RuleFileError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        let mut key_rules = Vec::new();
        for (i, rule) in set.rules.iter().enumerate() {
            if rule.key_regex.is_some() {
                key_rules.push(i);
            }
            if rule.regex.is_none() {
                continue;
            }
            if rule.keywords.is_empty() {
                always.push(i);
            }
            for k in &rule.keywords {
                match patterns.iter().position(|p| p == k) {
                    Some(p) => keyword_rules[p].push(i),
                    None => {
                        patterns.push(k.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let build = |pats: &[String]| -> Result<Option<AhoCorasick>, RuleFileError> {
            if pats.is_empty() {
                return Ok(None);
            }
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(pats)
                .map(Some)
                .map_err(|e| RuleFileError {
                    errors: vec![format!("keywords: {e}")],
                })
        };
        let keywords = build(&patterns)?;
        let stopwords = build(&set.stopwords)?;
        let not_secret = crate::regexes::regex_set(NOT_SECRET).map_err(|e| RuleFileError {
            errors: vec![format!("built-in value filters: {e}")],
        })?;
        Ok(SecretScanner {
            set,
            keywords,
            keyword_rules,
            always,
            key_rules,
            stopwords,
            not_secret,
        })
    }

    /// The built-in rules, optionally extended by an operator rule file.
    pub fn with_rules(extra: Option<&str>) -> Result<SecretScanner, RuleFileError> {
        SecretScanner::new(RuleSet::from_files(rules::BUILTIN, extra)?)
    }

    /// The rule-set revision (`2026.11.0`, or `2026.11.0+operator` when extended).
    pub fn revision(&self) -> &str {
        &self.set.revision
    }

    pub fn rules(&self) -> &[Rule] {
        &self.set.rules
    }

    /// Scans one string. `key` is the object key the string sits under, if
    /// any (for key rules). Findings carry spans into `text`; the caller
    /// sets their path.
    pub fn scan(&self, text: &str, key: Option<&str>, out: &mut Vec<Finding>) {
        let mut found: Vec<Finding> = Vec::new();
        let mut run = vec![false; self.set.rules.len()];
        for &i in &self.always {
            run[i] = true;
        }
        if let Some(ac) = &self.keywords {
            for m in ac.find_overlapping_iter(text) {
                for &i in &self.keyword_rules[m.pattern().as_usize()] {
                    run[i] = true;
                }
            }
        }
        for (i, rule) in self.set.rules.iter().enumerate() {
            let (true, Some(re)) = (run[i], &rule.regex) else {
                continue;
            };
            for caps in re.captures_iter(text) {
                let Some(m) = caps.get(rule.group).or_else(|| caps.get(0)) else {
                    continue;
                };
                if self.accept(rule, m.as_str()) {
                    found.push(self.finding(rule, m.as_str(), m.start(), m.end()));
                }
            }
        }
        if let Some(key) = key {
            let value = text.trim();
            let start = text.len() - text.trim_start().len();
            for &i in &self.key_rules {
                let rule = &self.set.rules[i];
                let matches_key = rule.key_regex.as_ref().is_some_and(|r| r.is_match(key));
                if matches_key && self.accept(rule, value) {
                    found.push(self.finding(rule, value, start, start + value.len()));
                }
            }
        }
        out.extend(dedupe(found));
    }

    fn finding(&self, rule: &Rule, secret: &str, start: usize, end: usize) -> Finding {
        Finding::new(Kind::Secret, rule.id.clone(), SCANNER)
            .severity(rule.severity)
            .confidence(rule.confidence)
            .span(start, end)
            .evidence(format!("{}: {}", rule.description, redact_value(secret)))
    }

    fn accept(&self, rule: &Rule, secret: &str) -> bool {
        if secret.chars().count() < rule.min_len
            || entropy(secret) < rule.entropy
            || longest_repeat(secret) >= 6
        {
            return false;
        }
        if let Some(stop) = &self.stopwords {
            if stop.is_match(secret) {
                return false;
            }
        }
        if self.set.allow.iter().any(|r| r.is_match(secret))
            || rule.allow.iter().any(|r| r.is_match(secret))
        {
            return false;
        }
        if rule.generic && !self.generic_value(secret) {
            return false;
        }
        match rule.validate {
            Some(Validator::BasicAuth) => basic_auth(secret),
            None => true,
        }
    }

    /// A value named like a secret is taken as one only if it looks like a
    /// credential: no whitespace, letters and digits (or long mixed case),
    /// and not an identifier of another kind.
    fn generic_value(&self, v: &str) -> bool {
        if v.chars().any(char::is_whitespace) || self.not_secret.is_match(v) {
            return false;
        }
        let letters = v.chars().any(|c| c.is_ascii_alphabetic());
        let digits = v.chars().any(|c| c.is_ascii_digit());
        let upper = v.chars().any(|c| c.is_ascii_uppercase());
        let lower = v.chars().any(|c| c.is_ascii_lowercase());
        letters && (digits || (v.len() >= 20 && upper && lower))
    }
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// The longest run of one repeated character.
fn longest_repeat(s: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for c in s.chars() {
        run = if prev == Some(c) { run + 1 } else { 1 };
        best = best.max(run);
        prev = Some(c);
    }
    best
}

fn basic_auth(b64: &str) -> bool {
    match crate::normalize::BASE64_LENIENT
        .decode(b64)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    {
        Some(s) => s
            .split_once(':')
            .is_some_and(|(user, _)| !user.is_empty() && !user.chars().any(char::is_control)),
        None => false,
    }
}

/// Keeps, among findings whose spans overlap, the most confident one.
fn dedupe(mut found: Vec<Finding>) -> Vec<Finding> {
    found.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.severity.cmp(&a.severity))
    });
    let mut kept: Vec<Finding> = Vec::new();
    for f in found {
        let overlaps = kept.iter().any(|k| match (k.span, f.span) {
            (Some(a), Some(b)) => a.start < b.end && b.start < a.end,
            _ => false,
        });
        if !overlaps {
            kept.push(f);
        }
    }
    kept.sort_by_key(|f| f.span.map(|s| s.start));
    kept
}

#[cfg(test)]
mod tests;
