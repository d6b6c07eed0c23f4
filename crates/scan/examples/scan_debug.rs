//! Tuning aid: prints records whose decision is wrong at 0.5 for tool_args
//! and tool_description files, with the findings that decided.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use behavry_scan::{eval, Kind, ScanConfig, Scanner};
use serde_json::Value;

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let s = Scanner::new(ScanConfig::default()).unwrap();
    for r in eval::parse_jsonl(&std::fs::read_to_string(path).unwrap()).unwrap() {
        let rep = if r.channel == "tool_description" {
            s.scan_tool_definition(
                &serde_json::from_str::<Value>(&r.text).unwrap_or(Value::String(r.text.clone())),
            )
        } else {
            s.scan_arguments(&eval::parse_args(&r.text))
        };
        let kinds: &[Kind] = match r.category.as_str() {
            "secret" => &[Kind::Secret],
            "pii" => &[Kind::Pii],
            "tool_poisoning" => &[Kind::ToolPoisoning],
            _ if r.channel == "tool_description" => &[Kind::ToolPoisoning],
            _ if r.source.contains("secret") || r.source == "gitleaks" => &[Kind::Secret],
            _ if r.source.contains("pii") || r.source.contains("presidio") => &[Kind::Pii],
            _ => &[
                Kind::PathTraversal,
                Kind::CommandInjection,
                Kind::SqlInjection,
                Kind::DestructiveCommand,
                Kind::Ssrf,
            ],
        };
        let hits: Vec<_> = rep
            .findings
            .iter()
            .filter(|f| kinds.contains(&f.kind) && f.confidence >= 0.5)
            .collect();
        let flagged = !hits.is_empty();
        if flagged != (r.label == 1) {
            let why: Vec<String> = hits
                .iter()
                .map(|f| format!("{}:{}:{:.2}", f.kind, f.rule, f.confidence))
                .collect();
            println!(
                "{} {} {} {} {:?} {}",
                r.label,
                r.category,
                r.source,
                r.variant.clone().or(r.subtype.clone()).unwrap_or_default(),
                why,
                r.text
                    .chars()
                    .take(160)
                    .collect::<String>()
                    .replace('\n', "\\n")
            );
        }
    }
}
