//! Fuzzes the SSE parser: it must never panic, and splitting the input into
//! two chunks at any point must yield the same events as one chunk.
#![no_main]

use behavry_protocol::SseParser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, stream)) = data.split_first() else {
        return;
    };
    let whole = SseParser::with_max_event_size(1 << 16).feed(stream);
    let cut = usize::from(split).min(stream.len());
    let mut parser = SseParser::with_max_event_size(1 << 16);
    let first = parser.feed(&stream[..cut]);
    let chunked = first.and_then(|mut events| {
        events.extend(parser.feed(&stream[cut..])?);
        Ok(events)
    });
    if let (Ok(whole), Ok(chunked)) = (whole, chunked) {
        assert_eq!(whole, chunked);
    }
});
