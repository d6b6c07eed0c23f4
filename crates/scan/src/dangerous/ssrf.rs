//! SSRF targets: URLs whose host is a cloud metadata service, loopback,
//! link-local, a private or unique-local network, or an IP literal written
//! in decimal, hex or octal to slip past filters; and `file:`, `gopher:`,
//! `dict:` URLs.

use crate::finding::{excerpt, Finding, Kind, Severity};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const SCANNER: &str = "dangerous";

/// What a URL host is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Metadata,
    Loopback,
    LinkLocal,
    Private,
    /// An IP literal in decimal, hex or octal form.
    ObfuscatedIp,
    LocalScheme,
}

impl Target {
    fn rule(self) -> &'static str {
        match self {
            Target::Metadata => "ssrf-cloud-metadata",
            Target::Loopback => "ssrf-loopback",
            Target::LinkLocal => "ssrf-link-local",
            Target::Private => "ssrf-private-network",
            Target::ObfuscatedIp => "ssrf-obfuscated-ip",
            Target::LocalScheme => "ssrf-local-scheme",
        }
    }

    fn confidence(self) -> f32 {
        match self {
            Target::Metadata => 0.95,
            Target::ObfuscatedIp => 0.85,
            Target::LinkLocal => 0.8,
            Target::Loopback | Target::Private | Target::LocalScheme => 0.45,
        }
    }
}

const METADATA_HOSTS: &[&str] = &[
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.internal",
    "kubernetes.default.svc",
];

/// Parses an IPv4 literal the way `inet_aton` does: 1-4 parts, each
/// decimal, `0x` hex or `0` octal.
fn inet_aton(host: &str) -> Option<(Ipv4Addr, bool)> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut unusual = parts.len() != 4;
    let mut nums = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"))
        {
            unusual = true;
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            unusual = true;
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        nums.push(u64::from_str_radix(digits, radix).ok()?);
    }
    let value: u64 = match nums.as_slice() {
        [a] => *a,
        [a, b] if *a < 256 => (a << 24) | b,
        [a, b, c] if *a < 256 && *b < 256 => (a << 24) | (b << 16) | c,
        [a, b, c, d] if nums.iter().all(|n| *n < 256) => (a << 24) | (b << 16) | (c << 8) | d,
        _ => return None,
    };
    let v = u32::try_from(value).ok()?;
    Some((Ipv4Addr::from(v), unusual))
}

/// Classifies a URL host.
pub fn classify_host(host: &str) -> Option<Target> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if METADATA_HOSTS.contains(&host) {
        return Some(Target::Metadata);
    }
    if host == "localhost" || host.ends_with(".localhost") || host == "ip6-localhost" {
        return Some(Target::Loopback);
    }
    let ip: Option<(IpAddr, bool)> = if let Ok(v6) = host.parse::<Ipv6Addr>() {
        Some(match v6.to_ipv4_mapped() {
            Some(v4) => (IpAddr::V4(v4), true),
            None => (IpAddr::V6(v6), false),
        })
    } else if host
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == '.' || c == 'x')
        && host.chars().any(|c| c.is_ascii_digit())
    {
        inet_aton(host).map(|(v4, unusual)| (IpAddr::V4(v4), unusual))
    } else {
        None
    };
    let (ip, unusual) = ip?;
    let target = match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if o == [169, 254, 169, 254]
                || o == [169, 254, 170, 2]
                || o == [100, 100, 100, 200]
                || o == [192, 0, 0, 192]
            {
                Some(Target::Metadata)
            } else if o[0] == 127 || o == [0, 0, 0, 0] {
                Some(Target::Loopback)
            } else if o[0] == 169 && o[1] == 254 {
                Some(Target::LinkLocal)
            } else if o[0] == 10
                || (o[0] == 172 && (16..=31).contains(&o[1]))
                || (o[0] == 192 && o[1] == 168)
                || (o[0] == 100 && (64..=127).contains(&o[1]))
            {
                Some(Target::Private)
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if s == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] {
                Some(Target::Metadata)
            } else if v6.is_loopback() || v6.is_unspecified() {
                Some(Target::Loopback)
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some(Target::LinkLocal)
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some(Target::Private)
            } else {
                None
            }
        }
    };
    match (target, unusual) {
        (Some(Target::Metadata), _) => Some(Target::Metadata),
        (Some(_), true) => Some(Target::ObfuscatedIp),
        (t, _) => t,
    }
}

/// The host of each URL in `text`, with the URL's byte range.
fn urls(text: &str) -> Vec<(usize, usize, &str, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("://") {
        let sep = from + pos;
        let scheme_start = text[..sep]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(sep, |(i, _)| i);
        let scheme = &text[scheme_start..sep];
        let rest = &text[sep + 3..];
        let end_rel = rest
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ')' | ',')
            })
            .unwrap_or(rest.len());
        let authority_end = rest[..end_rel].find(['/', '?', '#']).unwrap_or(end_rel);
        let authority = &rest[..authority_end];
        let hostport = authority.rsplit('@').next().unwrap_or(authority);
        let host = if let Some(stripped) = hostport.strip_prefix('[') {
            stripped.split(']').next().unwrap_or("")
        } else {
            hostport.split(':').next().unwrap_or("")
        };
        found.push((scheme_start, sep + 3 + end_rel, scheme, host));
        from = sep + 3;
    }
    found
}

pub(crate) fn scan(text: &str, decoded: &Option<String>, out: &mut Vec<Finding>) {
    if !text.contains("://") && !decoded.as_deref().is_some_and(|d| d.contains("://")) {
        return;
    }
    let mut best: Option<Finding> = None;
    for (form, original) in
        std::iter::once((text, true)).chain(decoded.as_deref().map(|d| (d, false)))
    {
        for (start, end, scheme, host) in urls(form) {
            let scheme = scheme.to_ascii_lowercase();
            let target = if matches!(
                scheme.as_str(),
                "file" | "gopher" | "dict" | "ldap" | "jar" | "netdoc"
            ) {
                Some(Target::LocalScheme)
            } else if matches!(scheme.as_str(), "http" | "https" | "ws" | "wss" | "ftp") {
                classify_host(host)
            } else {
                None
            };
            let Some(target) = target else { continue };
            let mut f = Finding::new(Kind::Ssrf, target.rule(), SCANNER)
                .severity(if target == Target::Metadata {
                    Severity::Critical
                } else {
                    Severity::High
                })
                .confidence(target.confidence())
                .evidence(excerpt(&form[start..end], 80));
            if original {
                f = f.span(start, end);
            }
            if best.as_ref().is_none_or(|b| f.confidence > b.confidence) {
                best = Some(f);
            }
        }
    }
    out.extend(best);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_hosts() {
        let cases = [
            ("169.254.169.254", Some(Target::Metadata)),
            ("metadata.google.internal", Some(Target::Metadata)),
            ("[fd00:ec2::254]", Some(Target::Metadata)),
            ("127.0.0.1", Some(Target::Loopback)),
            ("localhost", Some(Target::Loopback)),
            ("[::1]", Some(Target::Loopback)),
            ("10.1.2.3", Some(Target::Private)),
            ("172.20.0.5", Some(Target::Private)),
            ("192.168.1.1", Some(Target::Private)),
            ("169.254.1.1", Some(Target::LinkLocal)),
            ("2130706433", Some(Target::ObfuscatedIp)),
            ("0x7f000001", Some(Target::ObfuscatedIp)),
            ("0177.0.0.1", Some(Target::ObfuscatedIp)),
            ("127.1", Some(Target::ObfuscatedIp)),
            ("[::ffff:127.0.0.1]", Some(Target::ObfuscatedIp)),
            ("0xa9fea9fe", Some(Target::Metadata)),
            ("example.com", None),
            ("8.8.8.8", None),
            ("172.32.0.1", None),
            ("deadbeef", None),
        ];
        for (host, want) in cases {
            assert_eq!(classify_host(host), want, "{host}");
        }
    }

    #[test]
    fn finds_urls_in_text() {
        let mut out = Vec::new();
        let text = "fetch http://169.254.169.254/latest/meta-data/iam then http://example.com";
        scan(text, &None, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, "ssrf-cloud-metadata");
        let span = out[0].span.unwrap();
        assert_eq!(
            &text[span.start..span.end],
            "http://169.254.169.254/latest/meta-data/iam"
        );
        let mut out = Vec::new();
        scan("url=file:///etc/passwd", &None, &mut out);
        assert_eq!(out[0].rule, "ssrf-local-scheme");
        let mut out = Vec::new();
        scan("see https://docs.rs/regex", &None, &mut out);
        assert!(out.is_empty());
    }
}
