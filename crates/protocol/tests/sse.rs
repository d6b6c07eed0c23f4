//! SSE parser and encoder behaviour.

#![allow(clippy::unwrap_used, clippy::panic)] // helpers outside #[test] fns

use behavry_protocol::{encode_sse_event, SseError, SseEvent, SseParser};

fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(parser.feed(chunk).unwrap());
    }
    events
}

fn ev(id: Option<&str>, event: Option<&str>, data: &str, retry: Option<u64>) -> SseEvent {
    SseEvent {
        id: id.map(str::to_owned),
        event: event.map(str::to_owned),
        data: data.to_owned(),
        retry,
    }
}

#[test]
fn parsing_table() {
    let cases: Vec<(&[u8], Vec<SseEvent>)> = vec![
        (
            b"event: message\r\ndata: {\"a\":1}\r\n\r\n",
            vec![ev(None, Some("message"), "{\"a\":1}", None)],
        ),
        (b"data: a\ndata: b\n\n", vec![ev(None, None, "a\nb", None)]),
        (b"data:a\rdata:  b\r\r", vec![ev(None, None, "a\n b", None)]),
        (b"id: 7\ndata: \n\n", vec![ev(Some("7"), None, "", None)]),
        (b"id: 7\n\n", vec![ev(Some("7"), None, "", None)]),
        (b"retry: 1500\n\n", vec![ev(None, None, "", Some(1500))]),
        (b"retry: 1.5\ndata: x\n\n", vec![ev(None, None, "x", None)]),
        (b": ping\r\n\r\n", vec![]),
        (b"\n\n\n", vec![]),
        (b"data\n\n", vec![ev(None, None, "", None)]),
        (b"unknown: x\ndata: y\n\n", vec![ev(None, None, "y", None)]),
        (b"id: a\0b\ndata: y\n\n", vec![ev(None, None, "y", None)]),
        (
            b"\xef\xbb\xbfdata: bom\n\n",
            vec![ev(None, None, "bom", None)],
        ),
        (b"data: unterminated\n", vec![]),
        (
            b"data: a\n\ndata: b\n\n",
            vec![ev(None, None, "a", None), ev(None, None, "b", None)],
        ),
        (b"data: x: y\n\n", vec![ev(None, None, "x: y", None)]),
    ];
    for (input, expected) in cases {
        assert_eq!(
            parse_all(&[input]),
            expected,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn crlf_split_across_chunks_is_one_line_ending() {
    let events = parse_all(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
    assert_eq!(events, vec![ev(None, None, "a\nb", None)]);
    let cr_only = parse_all(&[b"data: a\r", b"\r"]);
    assert_eq!(cr_only, vec![ev(None, None, "a", None)]);
}

#[test]
fn remembers_last_event_id() {
    let mut parser = SseParser::new();
    parser.feed(b"id: 1\ndata: a\n\ndata: b\n\n").unwrap();
    assert_eq!(parser.last_event_id(), Some("1"));
    parser.feed(b"id: 2\n\n").unwrap();
    assert_eq!(parser.last_event_id(), Some("2"));
}

#[test]
fn enforces_limits() {
    let mut parser = SseParser::with_max_event_size(16);
    assert!(parser.feed(b"data: 0123456789\n").is_ok());
    assert_eq!(
        parser.feed(b"data: 0123456789\n"),
        Err(SseError::EventTooLarge { limit: 16 })
    );
    let mut long_line = SseParser::with_max_event_size(16);
    assert_eq!(
        long_line.feed(&[b'x'; 17]),
        Err(SseError::EventTooLarge { limit: 16 })
    );
    let mut fresh = SseParser::with_max_event_size(16);
    assert_eq!(
        fresh
            .feed(b"data: 0123\n\ndata: 0123456789\n\n")
            .unwrap()
            .len(),
        2
    );
    let mut utf8 = SseParser::new();
    assert_eq!(utf8.feed(b"data: \xff\n"), Err(SseError::InvalidUtf8));
}

#[test]
fn encoding_table() {
    assert_eq!(
        encode_sse_event(None, Some("message"), "{}"),
        "event: message\ndata: {}\n\n"
    );
    assert_eq!(
        encode_sse_event(Some("5"), None, "a\r\nb\rc\nd"),
        "id: 5\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
    );
    assert_eq!(
        encode_sse_event(Some("x\ny"), Some("m\r\nevent: evil"), ""),
        "event: mevent: evil\nid: xy\ndata: \n\n"
    );
}

#[test]
fn encoded_events_parse_back() {
    for (id, event, data) in [
        (Some("1"), Some("message"), "{\"jsonrpc\":\"2.0\"}"),
        (None, None, ""),
        (None, None, " leading space"),
        (Some(""), None, "multi\nline\n"),
    ] {
        let text = encode_sse_event(id, event, data);
        let events = parse_all(&[text.as_bytes()]);
        assert_eq!(events, vec![ev(id, event, data, None)], "{text:?}");
    }
}

#[test]
fn empty_chunks_do_not_break_a_split_crlf() {
    let events = parse_all(&[b"data: a\r", b"", b"\ndata: b\r\n", b"", b"\r\n"]);
    assert_eq!(events, vec![ev(None, None, "a\nb", None)]);
}
