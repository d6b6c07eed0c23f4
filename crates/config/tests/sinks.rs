#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! `[[sinks]]`: defaults, every kind, and the errors a typo must produce.

use behavry_config::{parse, SinkEncoding, SinkKind, SinkStart, SinkTarget};
use std::path::Path;
use std::time::Duration;

fn problems(text: &str) -> Vec<String> {
    parse(text, Path::new("/etc/behavry")).unwrap_err().problems
}

#[test]
fn every_kind_with_defaults() {
    let text = r#"
        [[sinks]]
        name = "local"
        kind = "file"
        path = "trace/decisions.jsonl"

        [[sinks]]
        name = "splunk"
        kind = "splunk_hec"
        url = "https://splunk.example:8088"
        token = "${env:HEC_TOKEN}"
        indexer_ack = true
        index = "behavry"

        [[sinks]]
        name = "otel"
        kind = "otlp"
        url = "http://collector:4318"
        encoding = "otlp_spans"

        [[sinks]]
        name = "elastic"
        kind = "elasticsearch"
        url = "https://es:9200"
        username = "behavry"
        password = "${env:ES_PASSWORD}"
        retention_records = 1000000

        [[sinks]]
        name = "dd"
        kind = "datadog"
        url = "https://http-intake.logs.datadoghq.eu"
        token = "${env:DD_API_KEY}"
        encoding = "ocsf"

        [[sinks]]
        name = "siem"
        kind = "syslog"
        address = "tls://[::1]:6514"
        encoding = "cef"
        tls = { ca_file = "ca.pem", server_name = "siem.example" }
        start = "end"
    "#;
    let cfg = parse(text, Path::new("/etc/behavry")).unwrap();
    let sinks = &cfg.sinks;
    assert_eq!(sinks.len(), 6);
    assert_eq!(sinks[0].kind, SinkKind::File);
    assert_eq!(sinks[0].encoding, SinkEncoding::Jsonl);
    assert_eq!(sinks[0].batch_max, 500);
    assert_eq!(sinks[0].batch_wait, Duration::from_millis(1000));
    assert_eq!(sinks[0].retention_records, None);
    assert_eq!(sinks[0].start, SinkStart::Beginning);
    assert_eq!(
        sinks[0].target,
        SinkTarget::File {
            path: "/etc/behavry/trace/decisions.jsonl".into(),
            rotate_bytes: 100 * 1024 * 1024,
            rotate_age: None
        }
    );
    assert_eq!(sinks[1].encoding, SinkEncoding::SplunkHec);
    let SinkTarget::Http {
        indexer_ack,
        token,
        index,
        ..
    } = &sinks[1].target
    else {
        panic!("http target expected");
    };
    assert!(indexer_ack);
    assert_eq!(token.as_deref(), Some("${env:HEC_TOKEN}"));
    assert_eq!(index.as_deref(), Some("behavry"));
    assert_eq!(sinks[2].encoding, SinkEncoding::OtlpSpans);
    assert_eq!(sinks[3].encoding, SinkEncoding::Ecs);
    assert_eq!(sinks[3].retention_records, Some(1_000_000));
    assert_eq!(sinks[4].encoding, SinkEncoding::Ocsf);
    assert_eq!(
        sinks[5].target,
        SinkTarget::Syslog {
            host: "::1".into(),
            port: 6514,
            tls: true,
            hostname: None
        }
    );
    assert_eq!(
        sinks[5].tls.ca_file.as_deref(),
        Some(Path::new("/etc/behavry/ca.pem"))
    );
    assert_eq!(sinks[5].start, SinkStart::End);
}

#[test]
fn each_mistake_is_reported_together() {
    let text = r#"
        [[sinks]]
        name = "Bad Name"
        kind = "file"

        [[sinks]]
        name = "hec"
        kind = "splunk_hec"
        url = "splunk:8088"
        token = "literal-token"
        encoding = "cef"
        path = "x.log"

        [[sinks]]
        name = "dd"
        kind = "datadog"
        url = "https://dd"
        batch_max = 5000

        [[sinks]]
        name = "sys"
        kind = "syslog"
        address = "udp://host:514"

        [[sinks]]
        name = "dup"
        kind = "nope"

        [[sinks]]
        name = "es"
        kind = "elasticsearch"
        url = "http://es:9200"
        username = "u"
        retention_records = 10
        tls = { server_name = "es" }
    "#;
    let got = problems(text);
    let want = [
        "sinks[0] (Bad Name): name must be",
        "sinks[0] (Bad Name): path is required for a file sink",
        "sinks[1] (hec): encoding for a splunk_hec sink must be one of splunk_hec, ocsf, not `cef`",
        "sinks[1] (hec): path does not apply to a splunk_hec sink",
        "sinks[1] (hec): url must start with http:// or https://",
        "sinks[1] (hec): token must be a ${env:NAME} reference, not a literal value",
        "sinks[2] (dd): batch_max must be between 1 and 1000, got 5000",
        "sinks[2] (dd): token is required for a datadog sink",
        "sinks[3] (sys): address must start with tcp:// or tls://",
        "sinks[4] (dup): kind must be one of file, http, splunk_hec, otlp, elasticsearch, datadog, syslog, not `nope`",
        "sinks[5] (es): retention_records (10) must be at least batch_max (500)",
        "sinks[5] (es): tls.server_name applies only to syslog sinks",
        "sinks[5] (es): set both username and password, or neither",
        "sinks[5] (es): tls applies only to https urls and tls:// addresses",
    ];
    for w in want {
        assert!(
            got.iter().any(|p| p.starts_with(w)),
            "missing `{w}` in {got:#?}"
        );
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
}

#[test]
fn unknown_fields_and_duplicate_names_are_errors() {
    let typo = problems("[[sinks]]\nname = \"a\"\nkind = \"file\"\npath = \"a\"\nbatchmax = 3\n");
    assert!(typo[0].contains("unknown field `batchmax`"), "{typo:?}");
    let dup = problems(
        "[[sinks]]\nname = \"a\"\nkind = \"file\"\npath = \"a\"\n[[sinks]]\nname = \"a\"\nkind = \"file\"\npath = \"b\"\n",
    );
    assert_eq!(dup, vec!["sinks[1]: name `a` is used twice".to_string()]);
}

#[test]
fn encodings_follow_the_kind() {
    for (kind, extra, encoding, ok) in [
        ("file", "path = \"t\"", "ocsf", true),
        ("file", "path = \"t\"", "cef", true),
        ("file", "path = \"t\"", "splunk_hec", false),
        ("http", "url = \"http://r\"", "ocsf", true),
        ("http", "url = \"http://r\"", "ecs", false),
        ("otlp", "url = \"http://r\"", "otlp_logs", true),
        ("otlp", "url = \"http://r\"", "jsonl", false),
        ("elasticsearch", "url = \"http://r\"", "ocsf", true),
        ("syslog", "address = \"tcp://h:514\"", "syslog5424", true),
        ("syslog", "address = \"tcp://h:514\"", "jsonl", false),
    ] {
        let text = format!(
            "[[sinks]]\nname = \"s\"\nkind = \"{kind}\"\n{extra}\nencoding = \"{encoding}\"\n"
        );
        let result = parse(&text, Path::new("/"));
        assert_eq!(result.is_ok(), ok, "{kind}/{encoding}: {result:?}");
    }
}

#[test]
fn credentials_never_sit_in_urls() {
    let got = problems(
        "[[sinks]]\nname = \"h\"\nkind = \"http\"\nurl = \"https://user:pw@collector.example/ingest\"\n",
    );
    assert_eq!(
        got,
        vec!["sinks[0] (h): url must not hold credentials; use token or username/password"]
    );
    let ok = parse(
        "[[sinks]]\nname = \"h\"\nkind = \"http\"\nurl = \"https://collector.example/in?x=a@b\"\n",
        Path::new("/"),
    );
    assert!(ok.is_ok(), "{ok:?}");
}
