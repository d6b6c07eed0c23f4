//! Strict JSON decoding into `serde_json::Value`.
//!
//! Identical to `serde_json::from_slice::<Value>` except that an object with a
//! duplicated key is rejected instead of silently keeping the last value.
//! Duplicate keys are a request-smuggling vector: a policy engine and an
//! upstream server that pick different copies of `"name"` would decide on one
//! tool and run another. Nesting depth stays bounded by serde_json's own
//! recursion limit (128 levels).

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Decodes `bytes` as exactly one JSON value, rejecting duplicate object keys.
pub fn from_slice_strict(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate object key {key:?}"
                )));
            }
            let value = access.next_value_seed(StrictValue)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::from_slice_strict;
    use serde_json::json;

    #[test]
    fn decodes_like_serde_json_for_unique_keys() {
        let text = br#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"c":18446744073709551615}"#;
        let strict = from_slice_strict(text).unwrap();
        let plain: serde_json::Value = serde_json::from_slice(text).unwrap();
        assert_eq!(strict, plain);
    }

    #[test]
    fn rejects_duplicate_keys_at_any_depth() {
        for text in [
            &br#"{"a":1,"a":2}"#[..],
            br#"{"x":{"name":"a","name":"b"}}"#,
            br#"[{"k":1,"k":1}]"#,
        ] {
            let err = from_slice_strict(text).unwrap_err();
            assert!(err.to_string().contains("duplicate object key"), "{err}");
        }
    }

    #[test]
    fn rejects_trailing_content() {
        assert!(from_slice_strict(br#"{"a":1} {"b":2}"#).is_err());
        assert_eq!(from_slice_strict(b" {} \n").unwrap(), json!({}));
    }

    #[test]
    fn depth_is_bounded_by_the_recursion_limit() {
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(from_slice_strict(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = from_slice_strict(deep.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
        let very_deep = "{\"a\":".repeat(100_000);
        assert!(from_slice_strict(very_deep.as_bytes()).is_err());
    }
}
