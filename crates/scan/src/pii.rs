//! Personal data: e-mail addresses, phone numbers (NANP, E.164 and common
//! European forms), payment cards (Luhn), IBANs (mod-97 with per-country
//! lengths), national IDs (US SSN, UK NINO, Canadian SIN with context),
//! IP addresses, street addresses, dates of birth and driver's licences
//! (with context), and names introduced as names.
//!
//! Invariants: every regex is linear-time; checksummed identifiers are
//! reported only when the checksum holds; evidence is redacted.

use crate::finding::{redact_value, Finding, Kind, Severity};
use regex::Regex;
use std::net::Ipv6Addr;

const SCANNER: &str = "pii";

/// One PII detector: a regex plus an optional validator.
struct Detector {
    rule: &'static str,
    regex: Regex,
    group: usize,
    severity: Severity,
    confidence: f32,
    check: Option<fn(&str, &str, usize) -> bool>,
    min_run: usize,
}

/// The compiled PII scanner.
pub struct PiiScanner {
    detectors: Vec<Detector>,
}

impl std::fmt::Debug for PiiScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiiScanner")
            .field("detectors", &self.detectors.len())
            .finish()
    }
}

/// `(rule, pattern, capture group, severity, confidence, validator,
/// fewest digits any accepted match holds in one numeric run)`. A numeric
/// run is digits joined by at most three of ` -./()` in a row, which every
/// number pattern here stays within. A text whose longest run is shorter
/// skips the regex: a sound gate, not a heuristic.
type Spec = (
    &'static str,
    &'static str,
    usize,
    Severity,
    f32,
    Option<fn(&str, &str, usize) -> bool>,
    usize,
);

const SPECS: &[Spec] = &[
    (
        "email",
        r"\b[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b",
        0,
        Severity::Medium,
        0.9,
        None,
        0,
    ),
    (
        "payment-card",
        r"\b(?:\d[ -]?){12,18}\d\b",
        0,
        Severity::High,
        0.95,
        Some(card_ok),
        13,
    ),
    (
        "iban",
        r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})\b",
        1,
        Severity::High,
        0.95,
        Some(iban_ok),
        2,
    ),
    (
        "us-ssn",
        r"\b(\d{3}-\d{2}-\d{4})\b",
        1,
        Severity::High,
        0.85,
        Some(ssn_ok),
        9,
    ),
    (
        "us-ssn",
        r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\s*(?:is|:|#|=)?\s*(\d{9}|\d{3} \d{2} \d{4})\b",
        1,
        Severity::High,
        0.9,
        Some(ssn_ok),
        9,
    ),
    (
        "uk-nino",
        r"\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D])\b",
        1,
        Severity::High,
        0.85,
        Some(nino_ok),
        6,
    ),
    (
        "ca-sin",
        r"(?i)\b(?:sin|social insurance(?: number)?)\s*(?:is|:|#|=)?\s*(\d{3}[ -]?\d{3}[ -]?\d{3})\b",
        1,
        Severity::High,
        0.85,
        Some(luhn_digits),
        9,
    ),
    (
        "phone",
        r"(?:\+1[ .-]?)?(?:\(\d{3}\)[ .-]?|\b\d{3}[.-])\d{3}[ .-]\d{4}\b",
        0,
        Severity::Medium,
        0.8,
        Some(nanp_ok),
        10,
    ),
    (
        "phone",
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\b",
        0,
        Severity::Medium,
        0.8,
        Some(intl_phone_ok),
        8,
    ),
    (
        "phone",
        r"\b0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}\b",
        0,
        Severity::Medium,
        0.6,
        Some(national_phone_ok),
        10,
    ),
    (
        "ip-address",
        r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
        0,
        Severity::Low,
        0.75,
        Some(ipv4_ok),
        4,
    ),
    (
        "ip-address",
        r"(?i)\b(?:[0-9a-f]{1,4}:){2,7}(?::|[0-9a-f]{1,4})(?:(?::[0-9a-f]{1,4}){0,6})\b|::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4}\b",
        0,
        Severity::Low,
        0.75,
        Some(ipv6_ok),
        0,
    ),
    (
        "street-address",
        r"\b\d{1,6}(?:\s+[A-Z][A-Za-z'-]+){1,4}\s+(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Row|Crescent|Close|Alley|Plaza)\b\.?(?:,?\s+(?:Apt|Suite|Unit|Ste|#)\.?\s*\w+)?",
        0,
        Severity::Medium,
        0.8,
        None,
        1,
    ),
    (
        "postal-address",
        r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*, [A-Z]{2} \d{5}(?:-\d{4})?\b",
        0,
        Severity::Medium,
        0.75,
        None,
        5,
    ),
    (
        "date-of-birth",
        r"(?i)\b(?:born(?: on)?|d\.?o\.?b\.?|date of birth|birth ?date|birthday)\b[^\n\d]{0,20}(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4})",
        1,
        Severity::Medium,
        0.85,
        None,
        3,
    ),
    (
        "date-of-birth",
        r"(?i)\b(?:dob|birth_?date|date_of_birth)\W{1,4}(\d{4}-\d{2}-\d{2})",
        1,
        Severity::Medium,
        0.85,
        None,
        8,
    ),
    (
        "drivers-license",
        r"(?i)\b(?:driver'?s?\s+licen[cs]e|driving\s+licen[cs]e|\bDL)\b(?:\s+(?:number|no\.?|#))?\s*(?:is|:|#)?\s*([A-Z0-9][A-Z0-9-]{4,15})\b",
        1,
        Severity::Medium,
        0.8,
        Some(has_digit),
        1,
    ),
    (
        "passport",
        r"(?i)\bpassport(?:\s+(?:number|no\.?|#))?\s*(?:is|:|#)?\s*([A-Z0-9]{6,9})\b",
        1,
        Severity::High,
        0.8,
        Some(has_digit),
        1,
    ),
    (
        "person-name",
        r"(?:\b(?:[Mm]y name is|[Nn]ame:|I am|I'm|[Dd]ear|[Mm]r\.?|[Mm]rs\.?|[Mm]s\.?|[Dd]r\.?|[Pp]rof\.?)\s+|\b(?:name|beneficiary|customer|patient|full_?name|recipient)['\x22]?\s*[:=]\s*['\x22]?)([A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2})",
        1,
        Severity::Low,
        0.6,
        Some(name_ok),
        0,
    ),
];

impl PiiScanner {
    pub fn new() -> Result<PiiScanner, regex::Error> {
        let detectors = SPECS
            .iter()
            .map(|&(rule, re, group, severity, confidence, check, min_run)| {
                Ok(Detector {
                    rule,
                    regex: crate::regexes::regex_ascii(re)?,
                    group,
                    severity,
                    confidence,
                    check,
                    min_run,
                })
            })
            .collect::<Result<Vec<_>, regex::Error>>()?;
        Ok(PiiScanner { detectors })
    }

    /// Scans one string; spans are byte ranges of `text`.
    pub fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        let mut found: Vec<Finding> = Vec::new();
        let stats = TextStats::of(text);
        for d in &self.detectors {
            let needs = stats.longest_run >= d.min_run
                && match d.rule {
                    "email" => stats.at,
                    "ip-address" => stats.colons >= 2 || stats.dots >= 3,
                    _ => true,
                };
            if !needs {
                continue;
            }
            let matches: Vec<regex::Match<'_>> = if d.group == 0 {
                d.regex.find_iter(text).collect()
            } else {
                d.regex
                    .captures_iter(text)
                    .filter_map(|c| c.get(d.group))
                    .collect()
            };
            for m in matches {
                if d.check
                    .is_some_and(|check| !check(m.as_str(), text, m.start()))
                {
                    continue;
                }
                let overlaps = found.iter().any(|f| {
                    f.span
                        .is_some_and(|s| s.start < m.end() && m.start() < s.end)
                });
                if overlaps {
                    continue;
                }
                found.push(
                    Finding::new(Kind::Pii, d.rule, SCANNER)
                        .severity(d.severity)
                        .confidence(d.confidence)
                        .span(m.start(), m.end())
                        .evidence(format!("{}: {}", d.rule, redact_value(m.as_str()))),
                );
            }
        }
        out.extend(found);
    }
}

/// Separators a numeric run may hold this many of in a row.
const RUN_GAP: usize = 3;

/// Counts taken in one pass that decide which detectors can match.
struct TextStats {
    /// Most digits in one numeric run.
    longest_run: usize,
    colons: usize,
    dots: usize,
    at: bool,
}

impl TextStats {
    fn of(text: &str) -> TextStats {
        let mut s = TextStats {
            longest_run: 0,
            colons: 0,
            dots: 0,
            at: false,
        };
        let (mut run, mut gap) = (0usize, 0usize);
        for b in text.bytes() {
            match b {
                b'0'..=b'9' => {
                    run += 1;
                    gap = 0;
                    s.longest_run = s.longest_run.max(run);
                    continue;
                }
                b' ' | b'-' | b'.' | b'/' | b'(' | b')' if run > 0 && gap < RUN_GAP => {
                    gap += 1;
                }
                _ => {
                    run = 0;
                    gap = 0;
                }
            }
            match b {
                b':' => s.colons += 1,
                b'.' => s.dots += 1,
                b'@' => s.at = true,
                _ => {}
            }
        }
        s
    }
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// The Luhn checksum over a digit sequence.
pub fn luhn(ds: &[u32]) -> bool {
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    !ds.is_empty() && sum % 10 == 0
}

fn luhn_digits(s: &str, _: &str, _: usize) -> bool {
    luhn(&digits(s))
}

fn card_ok(s: &str, _: &str, _: usize) -> bool {
    let ds = digits(s);
    if !(13..=19).contains(&ds.len()) || !luhn(&ds) {
        return false;
    }
    // Issuer prefixes: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro.
    let p2 = ds[0] * 10 + ds[1];
    let p4 = p2 * 100 + ds[2] * 10 + ds[3];
    ds[0] == 4
        || (51..=55).contains(&p2)
        || (2221..=2720).contains(&p4)
        || p2 == 34
        || p2 == 37
        || p4 == 6011
        || p2 == 65
        || (644..=649).contains(&(p4 / 10))
        || p2 == 35
        || p2 == 36
        || p2 == 38
        || p2 == 30
        || p2 == 62
        || p2 == 50
        || (56..=58).contains(&p2)
        || p2 == 67
}

fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "FO" | "GL" | "NL" => 18,
        "MK" | "SI" => 19,
        "AT" | "BA" | "EE" | "KZ" | "LT" | "LU" | "XK" => 20,
        "CH" | "CR" | "HR" | "LI" | "LV" => 21,
        "BG" | "BH" | "DE" | "GB" | "GE" | "IE" | "ME" | "RS" => 22,
        "AE" | "GI" | "IL" | "TL" => 23,
        "AD" | "CZ" | "ES" | "MD" | "PK" | "RO" | "SA" | "SE" | "SK" | "TN" | "VG" => 24,
        "PT" => 25,
        "IS" | "TR" => 26,
        "FR" | "GR" | "IT" | "MC" | "MR" | "SM" => 27,
        "AL" | "AZ" | "CY" | "DO" | "GT" | "HU" | "LB" | "PL" => 28,
        "BR" | "EG" | "PS" | "QA" | "UA" => 29,
        "JO" | "KW" | "MU" => 30,
        "MT" | "SC" => 31,
        "LC" => 32,
        _ => return None,
    })
}

/// Mod-97 check of an IBAN (spaces ignored) with the country's length.
pub fn iban_valid(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(country) = compact.get(..2) else {
        return false;
    };
    if iban_length(country) != Some(compact.len()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut rem: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn iban_ok(s: &str, _: &str, _: usize) -> bool {
    iban_valid(s)
}

fn ssn_ok(s: &str, _: &str, _: usize) -> bool {
    let ds = digits(s);
    if ds.len() != 9 {
        return false;
    }
    let area = ds[0] * 100 + ds[1] * 10 + ds[2];
    let group = ds[3] * 10 + ds[4];
    let serial = ds[5] * 1000 + ds[6] * 100 + ds[7] * 10 + ds[8];
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

fn nino_ok(s: &str, _: &str, _: usize) -> bool {
    let prefix: String = s.chars().take(2).collect();
    !matches!(
        prefix.as_str(),
        "BG" | "GB" | "NK" | "KN" | "TN" | "NT" | "ZZ"
    )
}

fn nanp_ok(s: &str, text: &str, start: usize) -> bool {
    let ds = digits(s);
    let local = if ds.len() == 11 { &ds[1..] } else { &ds[..] };
    // Area and exchange codes never start with 0 or 1.
    local.len() == 10 && local[0] >= 2 && local[3] >= 2 && !preceded_by_word_char(text, start)
}

fn intl_phone_ok(s: &str, text: &str, start: usize) -> bool {
    let n = digits(s).len();
    (8..=15).contains(&n) && !preceded_by_word_char(text, start)
}

fn national_phone_ok(s: &str, text: &str, start: usize) -> bool {
    let n = digits(s).len();
    (10..=11).contains(&n) && !preceded_by_word_char(text, start)
}

fn preceded_by_word_char(text: &str, start: usize) -> bool {
    text.get(..start)
        .and_then(|t| t.chars().next_back())
        .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '.')
}

fn ipv4_ok(s: &str, text: &str, start: usize) -> bool {
    // Version strings ("v1.2.3.4", "version 10.0.0.1") are not addresses.
    let before = text.get(..start).unwrap_or("");
    let trimmed = before.trim_end().to_ascii_lowercase();
    let after = text.get(start + s.len()..).unwrap_or("");
    !(before.ends_with('v')
        || trimmed.ends_with("version")
        || trimmed.ends_with("release")
        || before.ends_with('.')
        || after.starts_with('.') && after[1..].starts_with(|c: char| c.is_ascii_digit()))
}

fn ipv6_ok(s: &str, _: &str, _: usize) -> bool {
    s.parse::<Ipv6Addr>().is_ok() && s.matches(':').count() >= 2 && s.len() >= 6
}

fn has_digit(s: &str, _: &str, _: usize) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

fn name_ok(s: &str, _: &str, _: usize) -> bool {
    const NOT_NAMES: &[&str] = &[
        "The", "This", "That", "Sir", "Madam", "Customer", "User", "Team", "All", "Friend", "Here",
        "There", "Not", "Sure", "Happy", "Sorry", "Going", "Just", "Hi", "Hello",
    ];
    !NOT_NAMES.contains(&s.split([' ', '-']).next().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<&'static str> {
        let s = PiiScanner::new().unwrap();
        let mut out = Vec::new();
        s.scan(text, &mut out);
        out.iter()
            .map(|f| SPECS.iter().find(|x| x.0 == f.rule).map_or("?", |x| x.0))
            .collect()
    }

    #[test]
    fn checksums() {
        assert!(luhn(&digits("4539 1488 0343 6467")));
        assert!(!luhn(&digits("4539 1488 0343 6468")));
        assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
        assert!(iban_valid("DE89370400440532013000"));
        assert!(!iban_valid("DE89370400440532013001"));
        assert!(!iban_valid("XX89370400440532013000"));
    }

    #[test]
    fn finds_personal_data() {
        let cases = [
            ("write to jane.doe@example.org today", "email"),
            ("card 4539 1488 0343 6467 expired", "payment-card"),
            ("{\"iban\": \"DE89370400440532013000\"}", "iban"),
            ("ssn 495-47-8143", "us-ssn"),
            ("call (485) 618-6613 now", "phone"),
            ("call me at +49 30 2256522 please", "phone"),
            ("login failures from 148.186.104.122", "ip-address"),
            ("from 2001:db8::8a2e:370:7334 only", "ip-address"),
            (
                "I live at 5607 Maple Avenue, Madison, WI 53703",
                "street-address",
            ),
            ("date of birth: 1955-01-03", "date-of-birth"),
            ("My name is Richard Okafor", "person-name"),
            ("NINO AB 12 34 56 C", "uk-nino"),
        ];
        for (text, rule) in cases {
            assert!(rules(text).contains(&rule), "{text}: {:?}", rules(text));
        }
    }

    #[test]
    fn numeric_runs_span_the_separators_number_formats_use() {
        for (text, run) in [
            ("call (485) 618-6613 now", 10),
            ("card 4539-1488-0343-6467", 16),
            ("+49 30 2256522", 11),
            ("on 2022-02-22 at 10:30", 8),
            ("v1.2, then 3 .  ( 4", 2),
            ("no digits here", 0),
        ] {
            assert_eq!(TextStats::of(text).longest_run, run, "{text}");
        }
    }

    #[test]
    fn look_alikes_are_not_pii() {
        let cases = [
            "{\"isbn\": \"978-5-903-48581-1\"}",
            "{\"version\": \"9.11.11\", \"channel\": \"stable\"}",
            "Build 9715 finished in 18m24s on runner-37",
            "Tracking number 1ZZHBR8U0BYDTPTPEH was scanned in Memphis.",
            "{\"order_id\": \"ORD-2525504761\", \"status\": \"shipped\"}",
            "card 4539 1488 0343 6468 expired",
            "ssn 666-12-3456",
            "We moved here from Raleigh",
            "upgrade to v1.2.3.4 now",
        ];
        for text in cases {
            assert!(rules(text).is_empty(), "{text}: {:?}", rules(text));
        }
    }
}
