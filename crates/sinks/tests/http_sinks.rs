#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! HTTP sinks against in-repo receivers: every protocol's acknowledgement,
//! fault injection (5xx, 429 with Retry-After, timeouts, connection resets,
//! failed bulk items, lost indexer acks), and an outage with a receiver
//! restart under continuous load: every record arrives at least once.

mod common;

use behavry_sinks::SinkSet;
use common::receiver::{Fault, Receiver};
use common::{append, eventually, fresh_store, lookup, sinks_from};
use std::sync::atomic::Ordering;
use std::time::Duration;

fn sink_toml(kind: &str, url: &str, extra: &str) -> String {
    format!(
        "[[sinks]]\nname = \"t\"\nkind = \"{kind}\"\nurl = \"{url}\"\nbatch_wait_ms = 20\ntimeout_ms = 400\n{extra}\n"
    )
}

async fn delivers_through_faults(kind: &str, extra: &str, faults: Vec<Fault>) -> Receiver {
    let (_dir, store) = fresh_store().await;
    let rx = Receiver::start().await;
    let fault_count = faults.len() as u64;
    rx.state.inject(faults);
    append(&store, 0, 100).await;
    let url = if kind == "http" {
        format!("{}/ingest", rx.url())
    } else {
        rx.url()
    };
    let toml = sink_toml(kind, &url, &format!("batch_max = 20\n{extra}"));
    let sinks = SinkSet::start(store.clone(), &sinks_from(&toml), lookup).unwrap();
    eventually(Duration::from_secs(30), "all records delivered", || {
        rx.state.has_all(100)
    })
    .await;
    eventually(
        Duration::from_secs(5),
        "the cursor to reach the end",
        || sinks.statuses()[0].cursor == 100,
    )
    .await;
    let status = &sinks.statuses()[0];
    assert_eq!(status.backlog_records, 0);
    assert_eq!(status.dropped_records, 0);
    assert_eq!(rx.state.pending_faults(), 0, "every injected fault was hit");
    assert_eq!(rx.state.faults_served.load(Ordering::Relaxed), fault_count);
    assert!(status.failed_attempts >= fault_count, "{status:?}");
    assert_eq!(
        store.get_setting("sink_cursor.t").await.unwrap().as_deref(),
        Some("100")
    );
    sinks.shutdown().await;
    rx
}

fn standard_faults() -> Vec<Fault> {
    vec![
        Fault::Status(503),
        Fault::TooMany {
            retry_after_secs: 1,
        },
        Fault::Hang(Duration::from_secs(2)),
        Fault::Reset,
        Fault::Status(500),
    ]
}

#[tokio::test]
async fn splunk_hec_with_indexer_ack() {
    let mut faults = standard_faults();
    faults.push(Fault::LoseAck);
    let rx = delivers_through_faults(
        "splunk_hec",
        "token = \"${env:TEST_TOKEN}\"\nindexer_ack = true\nack_timeout_ms = 1000",
        faults,
    )
    .await;
    assert_eq!(
        rx.state.last_auth.lock().unwrap().as_deref(),
        Some("Splunk test-token")
    );
}

#[tokio::test]
async fn otlp_logs() {
    let rx =
        delivers_through_faults("otlp", "token = \"${env:TEST_TOKEN}\"", standard_faults()).await;
    assert_eq!(
        rx.state.last_auth.lock().unwrap().as_deref(),
        Some("Bearer test-token")
    );
}

#[tokio::test]
async fn elasticsearch_bulk_retries_only_failed_items() {
    let mut faults = standard_faults();
    faults.insert(0, Fault::BulkOddItemsFail);
    let rx = delivers_through_faults(
        "elasticsearch",
        "username = \"behavry\"\npassword = \"${env:TEST_PASSWORD}\"",
        faults,
    )
    .await;
    // Bulk `create` with the event id: nothing is stored twice.
    assert!(rx.state.accepted().values().all(|n| *n == 1));
    assert_eq!(
        rx.state.last_auth.lock().unwrap().as_deref(),
        Some("Basic YmVoYXZyeTp0ZXN0LXBhc3N3b3Jk")
    );
}

#[tokio::test]
async fn datadog_logs() {
    let rx = delivers_through_faults(
        "datadog",
        "token = \"${env:TEST_TOKEN}\"",
        standard_faults(),
    )
    .await;
    assert_eq!(
        rx.state.last_auth.lock().unwrap().as_deref(),
        Some("test-token")
    );
}

#[tokio::test]
async fn ocsf_over_plain_http() {
    delivers_through_faults("http", "encoding = \"ocsf\"", standard_faults()).await;
}

#[tokio::test]
async fn otlp_spans_follow_genai_conventions() {
    let (_dir, store) = fresh_store().await;
    let rx = Receiver::start().await;
    append(&store, 0, 40).await;
    let toml = sink_toml(
        "otlp",
        &rx.url(),
        "encoding = \"otlp_spans\"\nbatch_max = 7",
    );
    let sinks = SinkSet::start(store.clone(), &sinks_from(&toml), lookup).unwrap();
    // One span per outcome (even sequence numbers), some built from a
    // decision read back from the store because it was in an earlier batch.
    eventually(Duration::from_secs(20), "all spans", || {
        let a = rx.state.accepted();
        (1..=20).all(|call| a.contains_key(&(call * 2)))
    })
    .await;
    assert!(rx.state.accepted().keys().all(|s| s % 2 == 0));
    let body = rx.state.last_body.lock().unwrap().clone().unwrap();
    let span = body
        .pointer("/resourceSpans/0/scopeSpans/0/spans/0")
        .unwrap();
    assert_eq!(span["name"], "execute_tool database.query");
    assert_eq!(span["kind"], 1);
    let attr = |key: &str| {
        span["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"]["stringValue"].as_str().unwrap().to_string())
    };
    assert_eq!(
        attr("gen_ai.operation.name").as_deref(),
        Some("execute_tool")
    );
    assert_eq!(attr("gen_ai.tool.name").as_deref(), Some("database.query"));
    assert_eq!(attr("gen_ai.agent.name").as_deref(), Some("analyst-1"));
    assert_eq!(attr("mcp.method.name").as_deref(), Some("tools/call"));
    assert_eq!(span["traceId"].as_str().unwrap().len(), 32);
    sinks.shutdown().await;
}

/// The acceptance test: a sink under continuous load whose receiver goes
/// down, fails in every way, and comes back on the same port. Every
/// record is delivered at least once and none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_under_continuous_load_loses_nothing() {
    const TOTAL: u64 = 1500;
    let (_dir, store) = fresh_store().await;
    let mut rx = Receiver::start().await;
    let toml = sink_toml("elasticsearch", &rx.url(), "batch_max = 50");
    let sinks = SinkSet::start(store.clone(), &sinks_from(&toml), lookup).unwrap();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..TOTAL {
                append(&store, i, i + 1).await;
                if i % 10 == 0 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    rx.stop().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let during = sinks.statuses()[0].clone();
    assert!(
        during.backlog_records > 0,
        "a backlog builds while the receiver is down: {during:?}"
    );
    assert!(during.last_error.is_some());
    rx.restart().await;
    rx.state.inject(vec![
        Fault::Status(502),
        Fault::Reset,
        Fault::TooMany {
            retry_after_secs: 1,
        },
        Fault::BulkOddItemsFail,
        Fault::Hang(Duration::from_secs(1)),
    ]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    rx.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    rx.restart().await;
    writer.await.unwrap();
    // Liveness bounds, generous for a loaded CI machine: the backoff after
    // repeated faults can reach tens of seconds.
    eventually(Duration::from_secs(180), "every record delivered", || {
        rx.state.has_all(TOTAL)
    })
    .await;
    eventually(Duration::from_secs(60), "the sink to catch up", || {
        let s = &sinks.statuses()[0];
        s.cursor == TOTAL && s.backlog_records == 0
    })
    .await;
    let status = &sinks.statuses()[0];
    assert_eq!(status.dropped_records, 0);
    assert!(status.failed_attempts > 0);
    assert_eq!(store.latest_trace_seq().await.unwrap(), Some(TOTAL));
    sinks.shutdown().await;
}

#[tokio::test]
async fn a_restarted_sink_resumes_from_its_cursor() {
    let (_dir, store) = fresh_store().await;
    let rx = Receiver::start().await;
    append(&store, 0, 30).await;
    let toml = sink_toml("datadog", &rx.url(), "token = \"${env:TEST_TOKEN}\"");
    let first = SinkSet::start(store.clone(), &sinks_from(&toml), lookup).unwrap();
    eventually(Duration::from_secs(10), "first 30", || rx.state.has_all(30)).await;
    eventually(Duration::from_secs(5), "cursor 30", || {
        first.statuses()[0].cursor == 30
    })
    .await;
    first.shutdown().await;
    append(&store, 30, 60).await;
    let second = SinkSet::start(store.clone(), &sinks_from(&toml), lookup).unwrap();
    eventually(Duration::from_secs(10), "next 30", || rx.state.has_all(60)).await;
    // Nothing acknowledged before the restart is sent again.
    assert!(rx.state.accepted().values().all(|n| *n == 1));
    second.shutdown().await;
}

#[tokio::test]
async fn retention_limit_skips_loudly() {
    let (_dir, store) = fresh_store().await;
    let mut rx = Receiver::start().await;
    rx.stop().await;
    append(&store, 0, 50).await;
    let toml = sink_toml(
        "http",
        &format!("{}/ingest", rx.url()),
        "batch_max = 10\nretention_records = 20",
    );
    let sinks = SinkSet::start(store.clone(), &sinks_from(&toml), lookup).unwrap();
    eventually(Duration::from_secs(5), "retention to apply", || {
        sinks.statuses()[0].retention_exceeded
    })
    .await;
    let status = sinks.statuses()[0].clone();
    assert_eq!(status.dropped_records, 30);
    rx.restart().await;
    eventually(Duration::from_secs(10), "the kept records", || {
        let a = rx.state.accepted();
        (31..=50).all(|s| a.contains_key(&s))
    })
    .await;
    assert!(rx.state.accepted().keys().all(|s| *s > 30));
    let metrics = {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &sinks.registry()).unwrap();
        out
    };
    assert!(
        metrics.contains("behavry_sink_dropped_records_total{sink=\"t\"} 30"),
        "{metrics}"
    );
    assert!(
        metrics.contains("behavry_sink_retention_exceeded{sink=\"t\"} 1"),
        "{metrics}"
    );
    sinks.shutdown().await;
}

#[tokio::test]
async fn missing_secret_stops_start_up_without_revealing_values() {
    let (_dir, store) = fresh_store().await;
    let toml = sink_toml(
        "datadog",
        "http://127.0.0.1:9",
        "token = \"${env:NOT_SET_ANYWHERE}\"",
    );
    let err = SinkSet::start(store, &sinks_from(&toml), lookup).unwrap_err();
    assert!(err.to_string().contains("NOT_SET_ANYWHERE"), "{err}");
}
