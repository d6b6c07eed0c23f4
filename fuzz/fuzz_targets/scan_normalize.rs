//! Fuzzes the normaliser: it must never panic, every finding span must lie
//! on character boundaries of the input, and the output stays within a
//! constant multiple of the input.
#![no_main]

use behavry_scan::normalize::normalize;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let n = normalize(&text);
    for f in &n.findings {
        if let Some(span) = f.span {
            assert!(span.start <= span.end && span.end <= text.len());
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }
    assert!(n.text.len() <= text.len() * 8 + 1024);
});
