//! Fuzzes every scanner through the three entry points: no panics, spans
//! within the strings they point at, scores within 0..=1.
#![no_main]

use behavry_scan::{ScanConfig, Scanner};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static SCANNER: OnceLock<Option<Scanner>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(scanner) = SCANNER.get_or_init(|| Scanner::new(ScanConfig::default()).ok()) else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    let value = serde_json::from_str::<serde_json::Value>(&text)
        .unwrap_or_else(|_| serde_json::Value::String(text.to_string()));
    for report in [
        scanner.scan_arguments(&value),
        scanner.scan_result(&value),
        scanner.scan_tool_definition(&value),
    ] {
        assert!((0.0..=1.0).contains(&report.injection_score));
        for f in &report.findings {
            if let (Some(span), Some(serde_json::Value::String(s))) =
                (f.span, value.pointer(&f.path))
            {
                assert!(span.end <= s.len());
                assert!(s.is_char_boundary(span.start) && s.is_char_boundary(span.end));
            }
        }
        let _ = report.to_policy_value();
    }
});
