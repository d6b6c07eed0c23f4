//! Prints one JSON line per record with its rule-layer injection score and
//! the top sentence's features (tuning aid):
//! `cargo run --release -p behavry-scan --example scan_scores -- FILE`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use behavry_scan::injection::InjectionScanner;
use behavry_scan::normalize::normalize;

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let scanner = InjectionScanner::new(None).unwrap();
    for r in behavry_scan::eval::parse_jsonl(&text).unwrap() {
        let norm = normalize(&r.text);
        let s = scanner.score(&norm.text);
        let top = s.top.and_then(|(a, b)| norm.text.get(a..b)).unwrap_or("");
        println!(
            "{}",
            serde_json::json!({"label": r.label, "source": r.source, "score": s.score, "top": top, "reasons": s.reasons, "text": r.text})
        );
    }
}
