//! Path traversal (`../` in any encoding) and sensitive paths (credential
//! stores, system account files, process memory, Windows system files).

use crate::finding::{excerpt, Finding, Kind, Severity};
use regex::Regex;

const SCANNER: &str = "dangerous";

/// Sensitive locations: (pattern, rule, confidence without traversal).
const SENSITIVE: &[(&str, &str, f32)] = &[
    (
        r"(?i)/etc/(?:passwd|shadow|gshadow|sudoers|master\.passwd|security/opasswd)\b",
        "system-accounts",
        0.9,
    ),
    (
        r"(?i)/proc/(?:self|\d+)/(?:environ|cmdline|mem|maps|fd|root|cwd)\b",
        "process-internals",
        0.9,
    ),
    (
        r"(?i)(?:^|/)\.ssh/(?:id_[a-z0-9_]+|authorized_keys|known_hosts|config)\b",
        "ssh-keys",
        0.85,
    ),
    (
        r"(?i)(?:^|/)(?:\.aws/credentials|\.kube/config|\.docker/config\.json|\.netrc|_netrc|\.pgpass|\.git-credentials|\.npmrc|\.pypirc|\.bash_history|\.zsh_history|\.mysql_history|\.htpasswd|\.git/config|wp-config\.php|\.env)\b",
        "credential-files",
        0.85,
    ),
    (
        r"(?i)(?:^|/)(?:boot\.ini|win\.ini|system\.ini|(?:windows|winnt)/(?:system32|repair|win\.ini|system\.ini|debug|panther)|system32/(?:config|drivers/etc)|repair/sam|inetpub/wwwroot/web\.config)\b",
        "windows-system",
        0.85,
    ),
    (
        r"(?i)/etc/(?:hosts|issue|group|hostname|motd|fstab|crontab|profile|resolv\.conf|apache2|httpd|nginx|mysql|ssh|ssl/private|kubernetes|environment)\b",
        "system-config",
        0.45,
    ),
    (
        r"(?i)/(?:root|var/log|var/lib/mysql|var/run/secrets|run/secrets)/",
        "privileged-dirs",
        0.4,
    ),
];

#[derive(Debug)]
pub(crate) struct PathRules {
    traversal: Regex,
    sensitive: Vec<(Regex, &'static str, f32)>,
    nul: Regex,
    obfuscated: Regex,
    encoded_hops: Regex,
}

/// A sensitive file reached through separators no ordinary path uses
/// (`etc%c1%afpasswd`, `windows0x5csystem32`): evasion by itself.
const OBFUSCATED_TARGET: &str = r"(?i)etc(?:%+(?:25)?(?:u[0-9a-f]{4}|[0-9a-z]{2})|0x5c|0x2f|[^a-z0-9/]){1,16}(?:passwd|shadow|issue|hosts|group|sudoers)\b|(?:windows|winnt)(?:%+(?:25)?(?:u[0-9a-f]{4}|[0-9a-z]{2})|0x5c|0x2f|[^a-z0-9/]){1,16}(?:system32|win\.ini|repair)\b|(?:boot|win|system)\.ini\b";

impl PathRules {
    pub(crate) fn new() -> Result<PathRules, regex::Error> {
        Ok(PathRules {
            traversal: crate::regexes::regex(r"(?:^|[/\\=\s'\x22(:;|&,*]|\.\.)\.\.(?:[/\\]|$)")?,
            sensitive: SENSITIVE
                .iter()
                .map(|&(re, rule, conf)| Ok((crate::regexes::regex(re)?, rule, conf)))
                .collect::<Result<_, regex::Error>>()?,
            nul: crate::regexes::regex(r"(?i)%00|\x00")?,
            obfuscated: crate::regexes::regex(OBFUSCATED_TARGET)?,
            encoded_hops: crate::regexes::regex(
                r"(?i)%(?:c0|c1|e0|f0|f8|fc|25|2e|5c|2f|u2215|uff0e|uefc8)|0x5c|0x2f|\.\.|\?\?",
            )?,
        })
    }

    pub(crate) fn scan(&self, text: &str, decoded: &Option<String>, out: &mut Vec<Finding>) {
        let mut best: Option<Finding> = None;
        let forms = std::iter::once((text, true)).chain(decoded.as_deref().map(|d| (d, false)));
        for (form, original) in forms {
            let unified;
            let form_slash = if form.contains('\\') {
                unified = form.replace('\\', "/");
                unified.as_str()
            } else {
                form
            };
            let hops: Vec<_> = self.traversal.find_iter(form).collect();
            let sensitive = self
                .sensitive
                .iter()
                .find_map(|(re, rule, conf)| re.find(form_slash).map(|m| (m, *rule, *conf)));
            let nul = self.nul.is_match(form);
            let (rule, conf, severity) = match (hops.len(), &sensitive) {
                (n, Some((_, rule, _))) if n >= 1 => {
                    (format!("traversal-to-{rule}"), 0.95, Severity::High)
                }
                (n, _) if n >= 2 => ("path-traversal".to_string(), 0.85, Severity::High),
                (1, _) if nul => ("path-traversal".to_string(), 0.8, Severity::High),
                (1, _) => ("path-traversal".to_string(), 0.45, Severity::Medium),
                (0, Some((_, rule, conf))) => {
                    (format!("sensitive-path-{rule}"), *conf, Severity::Medium)
                }
                _ => continue,
            };
            let conf = if original {
                conf
            } else {
                (conf + 0.03).min(0.98)
            };
            let mut f = Finding::new(Kind::PathTraversal, rule, SCANNER)
                .severity(severity)
                .confidence(conf)
                .evidence(format!(
                    "{}{}",
                    if original { "" } else { "decoded: " },
                    excerpt(form, 80)
                ));
            if original {
                let start = hops
                    .first()
                    .map(|m| m.start())
                    .or(sensitive.as_ref().map(|s| s.0.start()));
                let end = sensitive
                    .as_ref()
                    .map(|s| s.0.end())
                    .or(hops.last().map(|m| m.end()));
                if let (Some(s), Some(e)) = (start, end) {
                    if s < e && form_slash.len() == text.len() {
                        f = f.span(s, e);
                    }
                }
            }
            if best.as_ref().is_none_or(|b| f.confidence > b.confidence) {
                best = Some(f);
            }
        }
        if best.as_ref().is_none_or(|b| b.confidence < 0.85) && self.obfuscated.is_match(text) {
            let hops = self.encoded_hops.find_iter(text).count();
            let conf = if hops >= 2 { 0.93 } else { 0.85 };
            best = Some(
                Finding::new(Kind::PathTraversal, "obfuscated-sensitive-path", SCANNER)
                    .severity(Severity::High)
                    .confidence(conf)
                    .evidence(excerpt(text, 80)),
            );
        }
        out.extend(best);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dangerous::decoded_forms;

    fn scan(text: &str) -> Option<Finding> {
        let rules = PathRules::new().unwrap();
        let mut out = Vec::new();
        rules.scan(text, &decoded_forms(text), &mut out);
        out.pop()
    }

    #[test]
    fn traversal_in_many_encodings() {
        for t in [
            "../../../../etc/passwd",
            "..%2f..%2f..%2fetc%2fshadow",
            "%c0%ae%c0%ae/%c0%ae%c0%ae/boot.ini",
            "..\\..\\..\\windows\\win.ini",
            "%uff0e%uff0e%u2215%uff0e%uff0e%u2215etc%u2215passwd",
            "....//....//etc/hosts",
        ] {
            let f = scan(t).unwrap_or_else(|| panic!("{t}"));
            assert!(f.confidence >= 0.85, "{t}: {f:?}");
        }
    }

    #[test]
    fn ordinary_paths_pass() {
        for t in [
            "data/raw/2023/photo_001.jpg",
            "~/Documents/v2/main.rs",
            "C:\\Users\\alice\\Documents\\README.md",
            "/srv/app/uploads/old/Cargo.toml",
        ] {
            assert!(scan(t).is_none(), "{t}");
        }
        assert!(scan("cd ../build").is_some_and(|f| f.confidence < 0.7));
    }
}
