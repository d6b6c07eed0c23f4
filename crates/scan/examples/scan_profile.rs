//! Tuning aid: time per stage, and end to end, on a 256 KB mixed text;
//! with a JSONL file argument, also end to end over its records' texts.
//!
//! `cargo run --release -p behavry-scan --example scan_profile [-- FILE.jsonl]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use behavry_scan::injection::InjectionScanner;
use behavry_scan::normalize::normalize;
use behavry_scan::pii::PiiScanner;
use behavry_scan::secrets::SecretScanner;
use behavry_scan::{ScanConfig, Scanner};
use serde_json::Value;
use std::time::Instant;

const ROUNDS: usize = 8;

fn rate(label: &str, bytes: usize, mut f: impl FnMut()) {
    f();
    let t = Instant::now();
    for _ in 0..ROUNDS {
        f();
    }
    let secs = t.elapsed().as_secs_f64() / ROUNDS as f64;
    println!("{label:<28} {:>8.1} MB/s", bytes as f64 / 1e6 / secs);
}

fn main() {
    let para = "Hi David, your Mercury debit card ••4605 was charged $109.87 by AHREFS. The settled amount may be different. If you have any questions, just reply to this email.\n- id_: '15'\n  sender: emma.johnson@bluesparrowtech.com\n  subject: 'Re: Family Reunion'\n# tar\n\n> Archiving utility.\n\n- Create an archive from files:\n\n`tar cf target.tar file1 file2`\nSee https://docs.example.com/guide?page=2 for details.\n";
    let text = para.repeat(256 * 1024 / para.len());
    let n = text.len();
    let s = SecretScanner::with_rules(None).unwrap();
    let p = PiiScanner::new().unwrap();
    let i = InjectionScanner::new(None).unwrap();
    let scanner = Scanner::new(ScanConfig::default()).unwrap();
    let normalized = normalize(&text).text;
    rate("normalize", n, || {
        std::hint::black_box(normalize(&text));
    });
    rate("secrets", n, || {
        let mut out = Vec::new();
        s.scan(&text, None, &mut out);
        std::hint::black_box(out);
    });
    rate("pii", n, || {
        let mut out = Vec::new();
        p.scan(&text, &mut out);
        std::hint::black_box(out);
    });
    rate("injection", n, || {
        std::hint::black_box(i.score(&normalized));
    });
    let value = Value::String(text.clone());
    rate("scan_result (end to end)", n, || {
        std::hint::black_box(scanner.scan_result(&value));
    });
    if let Some(path) = std::env::args().nth(1) {
        let records =
            behavry_scan::eval::parse_jsonl(&std::fs::read_to_string(path).unwrap()).unwrap();
        let values: Vec<Value> = records
            .iter()
            .map(|r| Value::String(r.text.clone()))
            .collect();
        let bytes: usize = records.iter().map(|r| r.text.len()).sum();
        rate("scan_result (records)", bytes, || {
            for v in &values {
                std::hint::black_box(scanner.scan_result(v));
            }
        });
        rate("normalize (records)", bytes, || {
            for r in &records {
                std::hint::black_box(normalize(&r.text));
            }
        });
        rate("pii (records)", bytes, || {
            for r in &records {
                let mut out = Vec::new();
                p.scan(&r.text, &mut out);
                std::hint::black_box(out);
            }
        });
        rate("secrets (records)", bytes, || {
            for r in &records {
                let mut out = Vec::new();
                s.scan(&r.text, None, &mut out);
                std::hint::black_box(out);
            }
        });
        rate("injection (records)", bytes, || {
            for r in &records {
                std::hint::black_box(i.score(&r.text));
            }
        });
    }
}
