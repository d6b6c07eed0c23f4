//! RFC 8785 (JSON Canonicalization Scheme) encoding of a JSON value.
//!
//! Object members are sorted by the UTF-16 code units of their names,
//! no insignificant whitespace is written, strings use the minimal
//! ECMAScript escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u00xx`
//! for the other control characters, everything else literal) and
//! floating-point numbers are written as ECMAScript's `Number.toString`
//! (via `ryu-js`), with `-0` written as `0`.
//!
//! One deliberate difference: an integer outside ±2^53, which RFC 8785
//! cannot carry exactly (it is I-JSON), is written as its exact decimal
//! digits rather than rounded to the nearest double, so that a recorded
//! 64-bit identifier is never altered. Every integer inside ±2^53 — all that
//! RFC 8785 can express — is written exactly as RFC 8785 writes it.

use serde::Serialize;
use serde_json::{Map, Number, Value};
use std::fmt::Write as _;

/// A value could not be represented as JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("value cannot be encoded as json: {0}")]
pub struct CanonicalError(String);

/// The RFC 8785 encoding of any serializable value.
pub fn to_canonical_string<T: Serialize + ?Sized>(value: &T) -> Result<String, CanonicalError> {
    let value = serde_json::to_value(value).map_err(|e| CanonicalError(e.to_string()))?;
    Ok(canonical_string(&value))
}

/// The RFC 8785 encoding of `value`.
pub fn canonical_string(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(map, out),
    }
}

fn write_object(map: &Map<String, Value>, out: &mut String) {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|(a, _), (b, _)| utf16_order(a, b));
    out.push('{');
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(name, out);
        out.push(':');
        write_value(value, out);
    }
    out.push('}');
}

/// RFC 8785 member order: by UTF-16 code units. For ASCII names that is
/// byte order.
fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.as_bytes().cmp(b.as_bytes())
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

fn write_number(n: &Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        write_f64(f, out);
    }
}

/// ECMAScript `Number.prototype.toString` of a finite double.
fn write_f64(f: f64, out: &mut String) {
    if f == 0.0 {
        // Both +0 and -0.
        out.push('0');
    } else if f.is_finite() {
        let mut buffer = ryu_js::Buffer::new();
        out.push_str(buffer.format_finite(f));
    } else {
        // serde_json values never hold NaN or infinities.
        out.push_str("null");
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    // Every byte that needs an escape is ASCII, so slicing between them
    // always falls on character boundaries.
    let mut start = 0;
    for (i, byte) in s.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn rfc_8785_number_table() {
        // RFC 8785 Appendix B: IEEE-754 bit patterns and their encodings.
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in cases {
            let value = json!(f64::from_bits(*bits));
            assert_eq!(canonical_string(&value), *expected, "bits {bits:#018x}");
        }
    }

    #[test]
    fn rfc_8785_example_object() {
        // RFC 8785 section 3.2.2, parsed exactly.
        let value = json!({
            "numbers": [333333333.3333333f64, 1e30, 4.5, 0.002, 1e-27],
            "string": "\u{20ac}$\u{f}\nA'B\"\\\\\"/",
            "literals": [null, true, false]
        });
        assert_eq!(
            canonical_string(&value),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn members_sort_by_utf16_code_units() {
        // RFC 8785 section 3.2.3.
        let value = json!({
            "\u{20ac}": "Euro Sign",
            "\r": "Carriage Return",
            "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\u{1f600}": "Emoji: Grinning Face",
            "\u{80}": "Control",
            "\u{f6}": "Latin Small Letter O With Diaeresis"
        });
        let encoded = canonical_string(&value);
        let order: Vec<&str> = [
            "\\r",
            "\"1\"",
            "\u{80}",
            "\u{f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ]
        .into_iter()
        .collect();
        let positions: Vec<usize> = order.iter().map(|k| encoded.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{encoded}");
    }

    #[test]
    fn large_integers_are_kept_exact() {
        let value = json!({"id": 12345678901234567890u64, "neg": -9223372036854775807i64});
        assert_eq!(
            canonical_string(&value),
            r#"{"id":12345678901234567890,"neg":-9223372036854775807}"#
        );
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(1i64 << 53)..=(1i64 << 53)).prop_map(|i| json!(i)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            any::<String>().prop_map(Value::String),
            "[\\x00-\\x1f\"\\\\/a\u{7f}\u{2028}\u{e9}\u{1f600}]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Differential: identical to an independent RFC 8785 implementation
        /// on every value RFC 8785 can express.
        #[test]
        fn matches_an_independent_implementation(value in json_value()) {
            let theirs = serde_json_canonicalizer::to_string(&value).unwrap();
            prop_assert_eq!(canonical_string(&value), theirs);
        }

        /// Canonical text parses back to the same value and is a fixed point.
        #[test]
        fn canonical_text_is_stable(value in json_value()) {
            let text = canonical_string(&value);
            let reparsed: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(canonical_string(&reparsed), text);
        }
    }
}
