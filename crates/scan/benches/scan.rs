//! Throughput of the rule layer (MB/s) and the latency of scanning one
//! 4 KB tool result, plus 1 / 16 / 256 KB inputs.
//!
//! `cargo bench -p behavry-scan`

use behavry_scan::{ScanConfig, Scanner};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::{json, Value};
use std::hint::black_box;

const PARAGRAPH: &str = "Hi David, your Mercury debit card ••4605 was charged $109.87 by AHREFS. \
The settled amount may be different from this initial charge. If you have any questions, just reply to this email.\n\
- id_: '15'\n  sender: emma.johnson@bluesparrowtech.com\n  subject: 'Re: Family Reunion'\n  body: 'Thanks for the reminder! I''ll be there.'\n\
# tar\n\n> Archiving utility.\n\n- Create an archive from files:\n\n`tar cf target.tar file1 file2`\n\
See https://docs.example.com/guide?page=2 for details. Meeting moved to 4:15 PM on Thursday.\n";

fn text_of(size: usize) -> String {
    let mut s = String::with_capacity(size + PARAGRAPH.len());
    while s.len() < size {
        s.push_str(PARAGRAPH);
    }
    let mut cut = size;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s
}

fn result_of(size: usize) -> Value {
    json!({"content": [{"type": "text", "text": text_of(size)}], "isError": false})
}

fn bench(c: &mut Criterion) {
    let rules = match Scanner::new(ScanConfig::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("scanner: {e}");
            return;
        }
    };
    let mut group = c.benchmark_group("scan_result_rules");
    for kb in [1usize, 4, 16, 256] {
        let v = result_of(kb * 1024);
        group.throughput(Throughput::Bytes((kb * 1024) as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{kb}KB")),
            &v,
            |b, v| b.iter(|| black_box(rules.scan_result(black_box(v)))),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("scan_arguments");
    let args = json!({"command": "git log --oneline | head -20", "path": "/srv/app/uploads/old/Cargo.toml", "query": "SELECT id FROM orders WHERE id = 42", "note": text_of(4 * 1024)});
    group.throughput(Throughput::Bytes(
        serde_json::to_string(&args).map_or(0, |s| s.len()) as u64,
    ));
    group.bench_function("4KB", |b| {
        b.iter(|| black_box(rules.scan_arguments(black_box(&args))))
    });
    group.finish();

    if let Ok(learned) = Scanner::new(ScanConfig {
        learned: true,
        ..ScanConfig::default()
    }) {
        let mut group = c.benchmark_group("scan_result_rules_learned");
        let v = result_of(4 * 1024);
        group.throughput(Throughput::Bytes(4096));
        group.bench_function("4KB", |b| {
            b.iter(|| black_box(learned.scan_result(black_box(&v))))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
