//! Property tests: parsers never panic, round trips hold, SSE parsing does
//! not depend on chunking.

#![allow(clippy::unwrap_used, clippy::panic)] // helpers outside #[test] fns

use behavry_protocol::{
    call_target, encode_sse_event, parse_message, qualify_name, qualify_uri, split_qualified,
    split_qualified_uri, Message, SseEvent, SseParser,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z0-9 ._/-]{0,12}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn params() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(
        prop::collection::btree_map("[a-z_]{1,8}", json_value(), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
    )
}

fn request_id() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        ".{0,10}".prop_map(Value::String)
    ]
}

fn message() -> impl Strategy<Value = Value> {
    prop_oneof![
        (request_id(), "[a-z/]{1,16}", params()).prop_map(|(id, method, params)| {
            let mut m = json!({"jsonrpc": "2.0", "id": id, "method": method});
            if let Some(p) = params {
                m["params"] = p;
            }
            m
        }),
        ("[a-z/]{1,16}", params()).prop_map(|(method, params)| {
            let mut m = json!({"jsonrpc": "2.0", "method": method});
            if let Some(p) = params {
                m["params"] = p;
            }
            m
        }),
        (request_id(), json_value())
            .prop_map(|(id, result)| json!({"jsonrpc": "2.0", "id": id, "result": result})),
        (
            prop::option::of(request_id()),
            any::<i32>(),
            ".{0,10}",
            prop::option::of(json_value())
        )
            .prop_map(|(id, code, message, data)| {
                let mut error = json!({"code": code, "message": message});
                if let Some(d) = data {
                    error["data"] = d;
                }
                json!({"jsonrpc": "2.0", "id": id, "error": error})
            }),
    ]
}

proptest! {
    #[test]
    fn parse_message_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(message) = parse_message(&bytes) {
            if let Message::Request { method, params, .. } = &message {
                let _ = call_target(method, params.as_ref());
            }
            let _ = message.to_value();
        }
    }

    #[test]
    fn parse_message_never_panics_on_json_like_text(text in r#"[\[\]{}":,0-9a-z .\\-]{0,200}"#) {
        let _ = parse_message(text.as_bytes());
    }

    #[test]
    fn valid_messages_round_trip(value in message()) {
        let text = serde_json::to_vec(&value).unwrap();
        let parsed = parse_message(&text).unwrap();
        prop_assert_eq!(parsed.to_value(), value.clone());
        let again = parse_message(&serde_json::to_vec(&parsed).unwrap()).unwrap();
        prop_assert_eq!(again, parsed);
    }

    #[test]
    fn call_targets_never_panic(method in prop_oneof![Just("tools/call"), Just("prompts/get"), Just("resources/read")],
                                params in prop::option::of(json_value())) {
        if let Ok(Some(target)) = call_target(method, params.as_ref()) {
            prop_assert!(!target.name.is_empty());
            prop_assert!(target.arguments.is_object());
        }
    }

    #[test]
    fn qualify_split_round_trip(upstream in "[a-z0-9][a-z0-9_-]{0,31}", name in ".{1,40}") {
        let qualified = qualify_name(&upstream, &name);
        prop_assert_eq!(split_qualified(&qualified), Some((upstream.as_str(), name.as_str())));
        let uri = qualify_uri(&upstream, &name);
        prop_assert_eq!(split_qualified_uri(&uri), Some((upstream.as_str(), name.as_str())));
    }

    #[test]
    fn sse_parsing_is_chunking_independent(
        events in prop::collection::vec(
            (prop::option::of("[a-z0-9]{0,6}"), prop::option::of("[a-z]{1,8}"), "[ -~\n\r\u{e9}\u{1F600}]{0,40}"),
            0..6),
        line_ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut stream = String::from(": comment\n");
        let mut expected = Vec::new();
        for (id, event, data) in &events {
            let encoded = encode_sse_event(id.as_deref(), event.as_deref(), data);
            stream.push_str(&encoded.replace('\n', line_ending));
            expected.push(SseEvent {
                id: id.clone(),
                event: event.clone(),
                data: data.replace("\r\n", "\n").replace('\r', "\n"),
                retry: None,
            });
        }
        let bytes = stream.as_bytes();
        let mut positions: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        positions.sort_unstable();
        let mut parser = SseParser::new();
        let mut got = Vec::new();
        let mut start = 0;
        for pos in positions.into_iter().chain(std::iter::once(bytes.len())) {
            got.extend(parser.feed(&bytes[start..pos]).unwrap());
            start = pos;
        }
        prop_assert_eq!(got, expected);
    }
}
