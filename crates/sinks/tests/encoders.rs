#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Every encoding on the same batch: structure, ids for de-duplication,
//! determinism, framing and escaping (property tests for the text formats).

use behavry_config::{SinkEncoding, SinkKind};
use behavry_sinks::encode::{encoder_for, EncodeContext, EncoderOptions};
use behavry_sinks::testing::{approval_event, sample_event};
use behavry_sinks::Record;
use proptest::prelude::*;
use serde_json::Value;

fn batch(n: u64) -> Vec<Record> {
    (0..n).map(|i| (i + 1, sample_event(i).unwrap())).collect()
}

fn encode(kind: SinkKind, encoding: SinkEncoding, batch: &[Record]) -> Vec<u8> {
    let options = EncoderOptions {
        hostname: "gw-1".into(),
        index: Some("audit".into()),
    };
    encoder_for(kind, encoding, options)
        .encode(batch, &EncodeContext::default())
        .unwrap()
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    std::str::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn jsonl_native_records_carry_ids() {
    let b = batch(6);
    let docs = lines(&encode(SinkKind::File, SinkEncoding::Jsonl, &b));
    assert_eq!(docs.len(), 6);
    for (doc, (seq, event)) in docs.iter().zip(&b) {
        assert_eq!(doc["seq"], *seq);
        assert_eq!(doc["schema"], "behavry.trace.v1");
        assert_eq!(doc["event_id"], format!("{}:{seq}", event.decision_id));
        assert_eq!(doc["decision_id"], event.decision_id.0);
    }
    assert_eq!(docs[0]["kind"], "decision");
    assert_eq!(docs[1]["kind"], "outcome");
}

#[test]
fn encodings_are_deterministic() {
    let b = batch(10);
    for (kind, encoding) in [
        (SinkKind::File, SinkEncoding::Jsonl),
        (SinkKind::SplunkHec, SinkEncoding::SplunkHec),
        (SinkKind::Otlp, SinkEncoding::OtlpLogs),
        (SinkKind::Otlp, SinkEncoding::OtlpSpans),
        (SinkKind::Elasticsearch, SinkEncoding::Ecs),
        (SinkKind::Datadog, SinkEncoding::Datadog),
        (SinkKind::Syslog, SinkEncoding::Syslog5424),
        (SinkKind::Syslog, SinkEncoding::Cef),
        (SinkKind::File, SinkEncoding::Ocsf),
    ] {
        assert_eq!(
            encode(kind, encoding, &b),
            encode(kind, encoding, &b),
            "{encoding:?}"
        );
        assert!(!encode(kind, encoding, &b).is_empty(), "{encoding:?}");
    }
}

#[test]
fn splunk_hec_events() {
    let b = batch(4);
    let body = encode(SinkKind::SplunkHec, SinkEncoding::SplunkHec, &b);
    let events: Vec<Value> = serde_json::Deserializer::from_slice(&body)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["index"], "audit");
    assert_eq!(events[0]["host"], "gw-1");
    assert_eq!(events[0]["sourcetype"], "behavry:trace");
    assert!(events[0]["time"].as_f64().unwrap() > 1.7e9);
    assert_eq!(events[0]["event"]["seq"], 1);
    assert_eq!(
        events[0]["fields"]["event_id"],
        events[0]["event"]["event_id"]
    );
    let ocsf = encode(SinkKind::SplunkHec, SinkEncoding::Ocsf, &b);
    let first: Value = serde_json::Deserializer::from_slice(&ocsf)
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(first["event"]["class_uid"], 6003);
    assert_eq!(first["sourcetype"], "ocsf:api_activity");
}

#[test]
fn otlp_logs_shape() {
    let body: Value =
        serde_json::from_slice(&encode(SinkKind::Otlp, SinkEncoding::OtlpLogs, &batch(3))).unwrap();
    let records = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
        .as_array()
        .unwrap();
    assert_eq!(records.len(), 3);
    let r = &records[0];
    assert!(
        r["timeUnixNano"].as_str().unwrap().parse::<u128>().unwrap() > 1_700_000_000_000_000_000
    );
    assert_eq!(r["severityText"], "INFO");
    assert_eq!(r["traceId"], "0190a1b2c3d47e5f8a9b000000000000");
    assert_eq!(r["spanId"].as_str().unwrap().len(), 16);
    assert!(r["body"]["kvlistValue"]["values"].as_array().unwrap().len() > 5);
    let service = &body["resourceLogs"][0]["resource"]["attributes"][0];
    assert_eq!(service["key"], "service.name");
}

#[test]
fn otlp_spans_close_on_outcomes_and_carry_errors() {
    // Call 3 is denied: decision (seq 7) then a blocked outcome (seq 8).
    let b = batch(8);
    let body: Value =
        serde_json::from_slice(&encode(SinkKind::Otlp, SinkEncoding::OtlpSpans, &b)).unwrap();
    let spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .unwrap();
    assert_eq!(spans.len(), 4);
    let denied = &spans[3];
    assert_eq!(denied["status"]["code"], 2);
    let error_type = denied["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "error.type")
        .unwrap();
    assert_eq!(error_type["value"]["stringValue"], "blocked");
    // Call 0's tool answered with an error result; call 1 completed cleanly.
    assert_eq!(spans[0]["status"]["code"], 2);
    let ok = &spans[1];
    assert_eq!(ok["status"]["code"], 1);
    assert_eq!(ok["events"][0]["name"], "behavry.decision");
    // Decisions alone close no span: nothing to send.
    let only_decisions: Vec<Record> = b.iter().filter(|(s, _)| s % 2 == 1).cloned().collect();
    assert!(encode(SinkKind::Otlp, SinkEncoding::OtlpSpans, &only_decisions).is_empty());
}

#[test]
fn otlp_span_uses_related_events_from_earlier_batches() {
    let b = batch(10);
    let outcome_only = vec![b[9].clone()];
    let mut ctx = EncodeContext::default();
    let ids = behavry_sinks::encode::missing_decisions(&outcome_only);
    assert_eq!(ids, vec![b[9].1.decision_id.0.clone()]);
    ctx.related.insert(
        ids[0].clone(),
        vec![b[8].1.clone(), approval_event(4, "approved").unwrap()],
    );
    let body = encoder_for(
        SinkKind::Otlp,
        SinkEncoding::OtlpSpans,
        EncoderOptions::default(),
    )
    .encode(&outcome_only, &ctx)
    .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    let span = &body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(span["name"], "execute_tool database.query");
    let names: Vec<&str> = span["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["behavry.decision", "behavry.approval"]);
}

#[test]
fn ecs_bulk_pairs() {
    let b = batch(4);
    let docs = lines(&encode(SinkKind::Elasticsearch, SinkEncoding::Ecs, &b));
    assert_eq!(docs.len(), 8);
    assert_eq!(docs[0]["create"]["_index"], "audit");
    assert_eq!(docs[0]["create"]["_id"], docs[1]["event"]["id"]);
    let doc = &docs[1];
    assert!(doc["@timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(doc["ecs"]["version"], "8.11.0");
    assert_eq!(doc["event"]["outcome"], "success");
    assert_eq!(doc["user"]["name"], "analyst-1");
    assert_eq!(doc["behavry"]["seq"], 1);
    let outcome = &docs[3];
    assert_eq!(outcome["event"]["duration"], 12_500_000);
}

#[test]
fn datadog_array() {
    let logs: Value =
        serde_json::from_slice(&encode(SinkKind::Datadog, SinkEncoding::Datadog, &batch(3)))
            .unwrap();
    let logs = logs.as_array().unwrap();
    assert_eq!(logs.len(), 3);
    assert_eq!(logs[0]["ddsource"], "behavry");
    assert_eq!(logs[0]["service"], "behavry");
    assert_eq!(logs[0]["status"], "info");
    assert_eq!(logs[0]["behavry"]["seq"], 1);
}

#[test]
fn ocsf_api_activity() {
    let docs = lines(&encode(SinkKind::File, SinkEncoding::Ocsf, &batch(8)));
    let d = &docs[0];
    assert_eq!(d["class_uid"], 6003);
    assert_eq!(d["category_uid"], 6);
    assert_eq!(d["type_uid"], 600399);
    assert_eq!(d["activity_name"], "Decision");
    assert_eq!(d["api"]["operation"], "tools/call");
    assert_eq!(d["api"]["service"]["name"], "database");
    assert_eq!(d["actor"]["user"]["name"], "analyst-1");
    assert_eq!(d["disposition"], "Allowed");
    assert_eq!(d["metadata"]["uid"], d["unmapped"]["event_id"]);
    assert_eq!(
        d["metadata"]["correlation_uid"],
        d["unmapped"]["decision_id"]
    );
    let denied = &docs[6];
    assert_eq!(denied["disposition_id"], 2);
    assert_eq!(denied["status"], "Failure");
}

/// Split an octet-counted stream into messages, checking every length.
fn frames(mut bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let space = bytes.iter().position(|b| *b == b' ').unwrap();
        let len: usize = std::str::from_utf8(&bytes[..space])
            .unwrap()
            .parse()
            .unwrap();
        let msg = &bytes[space + 1..space + 1 + len];
        out.push(String::from_utf8(msg.to_vec()).unwrap());
        bytes = &bytes[space + 1 + len..];
    }
    out
}

#[test]
fn syslog_5424_octet_counted() {
    let msgs = frames(&encode(
        SinkKind::Syslog,
        SinkEncoding::Syslog5424,
        &batch(3),
    ));
    assert_eq!(msgs.len(), 3);
    let m = &msgs[0];
    assert!(m.starts_with("<110>1 "), "{m}");
    let fields: Vec<&str> = m.splitn(8, ' ').collect();
    assert_eq!(fields[2], "gw-1");
    assert_eq!(fields[3], "behavry");
    assert_eq!(fields[5], "decision");
    assert_eq!(
        fields[1].len(),
        "2026-11-26T10:00:00.000000Z".len(),
        "{}",
        fields[1]
    );
    assert_eq!(fields[6], "[behavry@32473");
    assert!(
        fields[7].starts_with("seq=\"1\" event_id="),
        "{}",
        fields[7]
    );
    let json = m.split_once("] \u{feff}").unwrap().1;
    let doc: Value = serde_json::from_str(json).unwrap();
    assert_eq!(doc["seq"], 1);
    let cef = frames(&encode(SinkKind::Syslog, SinkEncoding::Cef, &batch(1)));
    assert!(cef[0].contains("] CEF:0|Behavry|Behavry|"), "{}", cef[0]);
}

#[test]
fn cef_lines() {
    let text = String::from_utf8(encode(SinkKind::File, SinkEncoding::Cef, &batch(2))).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("CEF:0|Behavry|Behavry|"));
    assert!(lines[0].contains("|decision.allow|"));
    assert!(lines[0].contains(" suser=analyst-1 "));
    assert!(lines[0].contains("externalId=0190a1b2-c3d4-7e5f-8a9b-000000000000:1"));
}

fn event_with(tool: &str, reason: &str) -> Record {
    let mut e = sample_event(0).unwrap();
    if let behavry_core::TraceEventKind::Decision {
        tool: t, reasons, ..
    } = &mut e.event
    {
        *t = tool.to_string();
        reasons[0].message = reason.to_string();
    }
    (1, e)
}

proptest! {
    #[test]
    fn text_formats_keep_records_apart(tool in "(\\PC|\n|\")*", reason in "(\\PC|\n|\r|\\||=|\\]|\")*") {
        let b = vec![event_with(&tool, &reason), event_with(&tool, &reason)];
        let cef = String::from_utf8(encode(SinkKind::File, SinkEncoding::Cef, &b)).unwrap();
        prop_assert_eq!(cef.lines().count(), 2);
        let jsonl = String::from_utf8(encode(SinkKind::File, SinkEncoding::Jsonl, &b)).unwrap();
        prop_assert_eq!(jsonl.lines().count(), 2);
        for line in jsonl.lines() {
            let doc: Value = serde_json::from_str(line).unwrap();
            prop_assert_eq!(doc["tool"].as_str().unwrap(), tool.as_str());
        }
        let msgs = frames(&encode(SinkKind::Syslog, SinkEncoding::Syslog5424, &b));
        prop_assert_eq!(msgs.len(), 2);
        let file_syslog = String::from_utf8(encode(SinkKind::File, SinkEncoding::Syslog5424, &b)).unwrap();
        prop_assert_eq!(file_syslog.lines().count(), 2);
    }
}
