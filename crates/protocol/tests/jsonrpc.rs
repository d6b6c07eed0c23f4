//! Table-driven tests of JSON-RPC envelope parsing and response building.

#![allow(clippy::unwrap_used, clippy::panic)] // helpers outside #[test] fns

use behavry_protocol::{error_response, parse_message, success, EnvelopeError, Message, RequestId};
use serde_json::{json, Value};

#[test]
fn parses_valid_messages() {
    let cases: Vec<(&str, Message)> = vec![
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            Message::Request {
                id: RequestId::from(1),
                method: "tools/list".into(),
                params: None,
            },
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a-1","method":"tools/call","params":{"name":"x"}}"#,
            Message::Request {
                id: RequestId::from("a-1"),
                method: "tools/call".into(),
                params: Some(json!({"name": "x"})),
            },
        ),
        (
            r#"{"jsonrpc":"2.0","id":-7,"method":"m","params":null}"#,
            Message::Request {
                id: RequestId::from(-7),
                method: "m".into(),
                params: None,
            },
        ),
        (
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            Message::Notification {
                method: "notifications/initialized".into(),
                params: None,
            },
        ),
        (
            r#"{"jsonrpc":"2.0","id":2,"result":{}}"#,
            Message::Response {
                id: Some(RequestId::from(2)),
                result: Some(json!({})),
                error: None,
            },
        ),
        (
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Session not found"}}"#,
            Message::Response {
                id: None,
                result: None,
                error: Some(json!({"code": -32600, "message": "Session not found"})),
            },
        ),
        (
            r#"{"jsonrpc":"2.0","id":"x","result":null}"#,
            Message::Response {
                id: Some(RequestId::from("x")),
                result: Some(Value::Null),
                error: None,
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            parse_message(text.as_bytes()).as_ref(),
            Ok(&expected),
            "{text}"
        );
    }
}

#[test]
fn rejects_invalid_messages() {
    let invalid = |m: &'static str| Err(EnvelopeError::Invalid(m));
    let cases: Vec<(&str, Result<Message, EnvelopeError>)> = vec![
        (
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            Err(EnvelopeError::BatchNotSupported),
        ),
        ("[]", Err(EnvelopeError::BatchNotSupported)),
        ("3", invalid("message must be a json object")),
        (
            r#"{"id":1,"method":"ping"}"#,
            invalid("jsonrpc must be \"2.0\""),
        ),
        (
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            invalid("jsonrpc must be \"2.0\""),
        ),
        (
            r#"{"jsonrpc":2.0,"id":1,"method":"ping"}"#,
            invalid("jsonrpc must be \"2.0\""),
        ),
        (
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            invalid("id must be a string or an integer"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            invalid("id must be a string or an integer"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1.0,"method":"ping"}"#,
            invalid("id must be a string or an integer"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
            invalid("id must be a string or an integer"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
            invalid("id must be a string or an integer"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
            invalid("id must be a string or an integer"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":5}"#,
            invalid("method must be a string"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"m","params":[1]}"#,
            invalid("params must be an object"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"m","params":"x"}"#,
            invalid("params must be an object"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"m","result":{}}"#,
            invalid("a request must not carry result or error"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1}"#,
            invalid("message has neither method, result nor error"),
        ),
        (
            r#"{"jsonrpc":"2.0","result":{}}"#,
            invalid("a response must carry an id"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":null,"result":{}}"#,
            invalid("a result response must carry an id"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}"#,
            invalid("a response must not carry both result and error"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"error":"boom"}"#,
            invalid("error must be an object with an integer code and a string message"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}}"#,
            invalid("error must be an object with an integer code and a string message"),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_message(text.as_bytes()), expected, "{text}");
    }
}

#[test]
fn parse_errors_carry_the_parse_error_code() {
    for text in [
        &b""[..],
        b"{",
        b"not json",
        b"\xff\xfe",
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}"#,
        br#"{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"ping"}"#,
    ] {
        let err = parse_message(text).unwrap_err();
        assert!(matches!(err, EnvelopeError::Parse(_)), "{err:?}");
        assert_eq!(err.code(), behavry_protocol::PARSE_ERROR);
    }
    assert_eq!(
        EnvelopeError::BatchNotSupported.code(),
        behavry_protocol::INVALID_REQUEST
    );
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let depth = 100_000;
    let text = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"m","params":{{"a":{}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(matches!(
        parse_message(text.as_bytes()),
        Err(EnvelopeError::Parse(_))
    ));
    let shallow = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"m","params":{{"a":{}{}}}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(parse_message(shallow.as_bytes()).is_ok());
}

#[test]
fn ids_are_preserved_exactly() {
    for id in [
        r#""0""#,
        "0",
        "-1",
        "9223372036854775807",
        "18446744073709551615",
        r#""""#,
        r#""ü""#,
    ] {
        let text = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"m"}}"#);
        let message = parse_message(text.as_bytes()).unwrap();
        let Message::Request { id: parsed, .. } = &message else {
            panic!("not a request")
        };
        assert_eq!(parsed.to_value().to_string(), id);
        assert_eq!(message.to_value()["id"].to_string(), id);
    }
    assert_ne!(RequestId::from("1"), RequestId::from(1));
}

#[test]
fn to_value_round_trips() {
    for text in [
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":[1,2]}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#,
        r#"{"jsonrpc":"2.0","id":"r","result":{"content":[]}}"#,
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"x","data":{"k":1}}}"#,
    ] {
        let message = parse_message(text.as_bytes()).unwrap();
        let expected: Value = serde_json::from_str(text).unwrap();
        assert_eq!(message.to_value(), expected);
        assert_eq!(serde_json::to_value(&message).unwrap(), expected);
    }
}

#[test]
fn builds_responses() {
    assert_eq!(
        success(&RequestId::from(5), json!({"tools": []})),
        json!({"jsonrpc": "2.0", "id": 5, "result": {"tools": []}})
    );
    assert_eq!(
        error_response(
            Some(&RequestId::from("a")),
            -32010,
            "denied by policy",
            Some(json!({"rule": "r1"}))
        ),
        json!({"jsonrpc": "2.0", "id": "a", "error": {"code": -32010, "message": "denied by policy", "data": {"rule": "r1"}}})
    );
    let anonymous = error_response(None, -32700, "Parse error", None);
    assert_eq!(
        anonymous,
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error"}})
    );
    assert!(parse_message(anonymous.to_string().as_bytes()).is_ok());
}
