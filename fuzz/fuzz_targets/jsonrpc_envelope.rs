//! Fuzzes JSON-RPC envelope parsing and call-target extraction: neither may
//! panic, and every accepted message must re-serialize to a message that
//! parses back to itself.
#![no_main]

use behavry_protocol::{call_target, parse_message, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = parse_message(data) else {
        return;
    };
    if let Message::Request { method, params, .. } | Message::Notification { method, params } = &message {
        if let Ok(Some(target)) = call_target(method, params.as_ref()) {
            assert!(!target.name.is_empty());
            assert!(target.arguments.is_object());
        }
    }
    let text = serde_json::to_vec(&message.to_value()).unwrap_or_default();
    assert_eq!(parse_message(&text).ok(), Some(message));
});
