//! End-to-end sink throughput: records read from a SQLite trace, encoded,
//! POSTed to a local HTTP receiver and acknowledged, cursor stored after
//! every batch. Each iteration is a new sink (a fresh cursor) delivering the
//! whole trace of 20,000 records.
//! `cargo bench -p behavry-sinks --bench delivery`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;
use behavry_sinks::testing::sample_event;
use behavry_sinks::SinkSet;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};

const RECORDS: u64 = 20_000;

fn delivery(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = rt.block_on(async {
        let store = behavry_store::Store::open_dir_durable(
            dir.path(),
            behavry_store::Durability::OsBuffered,
        )
        .await
        .unwrap();
        for i in 0..RECORDS {
            store.append_trace(&sample_event(i).unwrap()).await.unwrap();
        }
        let app = Router::new()
            .route("/ingest", post(|_body: Bytes| async { "ok" }))
            .route(
                "/_bulk",
                post(|body: Bytes| async move {
                    // Every item created: one `create` answer per action line.
                    let n = body
                        .split(|b| *b == b'\n')
                        .filter(|l| !l.is_empty())
                        .count()
                        / 2;
                    let items = vec![r#"{"create":{"status":201}}"#; n].join(",");
                    format!(r#"{{"errors":false,"items":[{items}]}}"#)
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (store, format!("http://{addr}"))
    });
    let mut group = c.benchmark_group("deliver_20k");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(RECORDS));
    let mut run = 0u64;
    for (name, kind, path, encoding) in [
        ("http_jsonl_batch500", "http", "/ingest", "jsonl"),
        ("elasticsearch_ecs_batch500", "elasticsearch", "", "ecs"),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    run += 1;
                    let toml = format!(
                        "[[sinks]]\nname = \"bench{run}\"\nkind = \"{kind}\"\nurl = \"{url}{path}\"\nencoding = \"{encoding}\"\nbatch_max = 500\nbatch_wait_ms = 0\n"
                    );
                    let sinks = behavry_config::parse(&toml, std::path::Path::new("/")).unwrap().sinks;
                    total += rt.block_on(async {
                        let started = Instant::now();
                        let set = SinkSet::start(store.clone(), &sinks, |_| None).unwrap();
                        while set.statuses()[0].cursor < RECORDS {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        let elapsed = started.elapsed();
                        set.shutdown().await;
                        elapsed
                    });
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, delivery);
criterion_main!(benches);
