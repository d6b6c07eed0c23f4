//! Walks a JSON value (iteratively, so depth costs no stack) and runs the
//! channel's scanners on every string and object key, within the byte cap.

use crate::finding::{Finding, Kind, Severity};
use crate::normalize::normalize;
use crate::report::{Channel, ScanReport};
use crate::Scanner;
use serde_json::Value;

/// Escapes one JSON-pointer token (RFC 6901).
fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

pub(crate) fn scan(scanner: &Scanner, value: &Value, channel: Channel) -> ScanReport {
    let mut report = ScanReport::new(channel, scanner.secrets.revision());
    let mut budget = scanner.config.max_bytes;
    let mut stack: Vec<(String, Option<&str>, &Value)> = vec![(String::new(), None, value)];
    let mut findings: Vec<Finding> = Vec::new();
    while let Some((path, key, v)) = stack.pop() {
        if report.truncated {
            break;
        }
        match v {
            Value::String(s) => {
                let take = if s.len() > budget {
                    report.truncated = true;
                    floor_char_boundary(s, budget)
                } else {
                    s.len()
                };
                let text = &s[..take];
                budget -= take;
                report.bytes_scanned += take;
                scan_string(
                    scanner,
                    channel,
                    text,
                    key,
                    &path,
                    &mut findings,
                    &mut report,
                );
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((format!("{path}/{i}"), key, item));
                }
            }
            Value::Object(map) => {
                let entries: Vec<_> = map.iter().collect();
                for (k, item) in entries.into_iter().rev() {
                    let child = format!("{path}/{}", escape_token(k));
                    if !crate::normalize::is_plain_text(k) {
                        let norm = normalize(k);
                        for mut f in norm.findings {
                            f.path = format!("{child}#key");
                            findings.push(f);
                        }
                    }
                    stack.push((child, Some(k.as_str()), item));
                }
            }
            Value::Number(n) if channel == Channel::Arguments => {
                // Card numbers and phone numbers sent as JSON numbers.
                let text = n.to_string();
                if text.len() >= 9 {
                    let mut out = Vec::new();
                    scanner.pii.scan(&text, &mut out);
                    for mut f in out {
                        f.path.clone_from(&path);
                        f.span = None;
                        findings.push(f);
                    }
                }
            }
            _ => {}
        }
    }
    if report.truncated {
        findings.push(
            Finding::new(Kind::Truncated, "size-cap", "scanner")
                .severity(Severity::Medium)
                .evidence(format!(
                    "input larger than the {} byte scan cap; only the first {} bytes were scanned",
                    scanner.config.max_bytes, report.bytes_scanned
                )),
        );
    }
    let cap = scanner.config.max_findings;
    if findings.len() > cap {
        // Keep the most severe and most confident.
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.confidence.total_cmp(&a.confidence))
        });
        report.findings_dropped = findings.len() - cap;
        findings.truncate(cap);
    }
    report.findings = findings;
    report
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn scan_string(
    scanner: &Scanner,
    channel: Channel,
    text: &str,
    key: Option<&str>,
    path: &str,
    findings: &mut Vec<Finding>,
    report: &mut ScanReport,
) {
    let start = findings.len();
    let norm = normalize(text);
    findings.extend(norm.findings.iter().cloned());
    match channel {
        Channel::Arguments => {
            scanner.secrets.scan(text, key, findings);
            scanner.pii.scan(text, findings);
            scanner.dangerous.scan(text, key, findings);
            if !norm.unchanged {
                // Hidden or encoded content: secrets and payloads inside it.
                let hidden = &norm.text;
                let mut extra = Vec::new();
                scanner.secrets.scan(hidden, key, &mut extra);
                scanner.dangerous.scan(hidden, key, &mut extra);
                merge_unspanned(findings, start, extra);
            }
        }
        Channel::Description => {
            // Definitions are scored by `poisoning` after the walk.
            scanner.secrets.scan(text, key, findings);
        }
        Channel::Result => {
            scanner.secrets.scan(text, key, findings);
            scanner.pii.scan(text, findings);
            let score = scanner.injection.score(&norm.text);
            report.injection_score = report.injection_score.max(score.score);
            report.injection_rule_score = report.injection_rule_score.max(score.rule);
            if let Some(l) = score.learned {
                report.injection_learned_score =
                    Some(report.injection_learned_score.unwrap_or(0.0).max(l));
            }
            report.jailbreak_score = report.jailbreak_score.max(score.jailbreak);
            findings.extend(scanner.injection.findings(
                &norm.text,
                &score,
                scanner.config.injection_report_threshold,
            ));
        }
    }
    for f in &mut findings[start..] {
        f.path = path.to_string();
    }
}

/// Adds findings made on decoded text unless the same kind and rule was
/// already found on the text as sent; their spans do not apply.
fn merge_unspanned(findings: &mut Vec<Finding>, start: usize, extra: Vec<Finding>) {
    for mut f in extra {
        let dup = findings[start..]
            .iter()
            .any(|g| g.kind == f.kind && g.rule == f.rule);
        if !dup {
            f.span = None;
            f.evidence = format!("in decoded content: {}", f.evidence);
            findings.push(f);
        }
    }
}
