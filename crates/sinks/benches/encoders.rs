//! Records per second of each encoding, on batches of 500 sample records.
//! `cargo bench -p behavry-sinks --bench encoders`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use behavry_config::{SinkEncoding, SinkKind};
use behavry_sinks::encode::{encoder_for, EncodeContext, EncoderOptions};
use behavry_sinks::testing::sample_event;
use behavry_sinks::Record;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const BATCH: u64 = 500;

fn encoders(c: &mut Criterion) {
    let batch: Vec<Record> = (0..BATCH)
        .map(|i| (i + 1, sample_event(i).unwrap()))
        .collect();
    let ctx = EncodeContext::default();
    let mut group = c.benchmark_group("encode_500");
    group.throughput(Throughput::Elements(BATCH));
    for (name, kind, encoding) in [
        ("jsonl", SinkKind::File, SinkEncoding::Jsonl),
        ("splunk_hec", SinkKind::SplunkHec, SinkEncoding::SplunkHec),
        ("otlp_logs", SinkKind::Otlp, SinkEncoding::OtlpLogs),
        ("otlp_spans", SinkKind::Otlp, SinkEncoding::OtlpSpans),
        ("ecs_bulk", SinkKind::Elasticsearch, SinkEncoding::Ecs),
        ("datadog", SinkKind::Datadog, SinkEncoding::Datadog),
        ("syslog5424", SinkKind::Syslog, SinkEncoding::Syslog5424),
        ("cef", SinkKind::File, SinkEncoding::Cef),
        ("ocsf", SinkKind::File, SinkEncoding::Ocsf),
    ] {
        let encoder = encoder_for(
            kind,
            encoding,
            EncoderOptions {
                hostname: "gw-1".into(),
                index: None,
            },
        );
        group.bench_function(name, |b| {
            b.iter(|| encoder.encode(std::hint::black_box(&batch), &ctx).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, encoders);
criterion_main!(benches);
