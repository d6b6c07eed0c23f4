//! Reading a 2xx answer the way each protocol defines acknowledgement.
//!
//! - Elasticsearch `_bulk` answers 200 even when items failed: items with a
//!   2xx status, or 409 (the `create` of an event id already stored: a
//!   duplicate from an earlier attempt), are accepted; every other item is
//!   sent again.
//! - Splunk HEC answers `{"code":0,"ackId":N}`; with indexer
//!   acknowledgement the batch is accepted only once `N` is reported indexed.
//! - OTLP may answer a `partialSuccess`: the spec forbids sending the
//!   rejected items again, so they are counted and reported, not retried.

use super::http::{snippet, HttpProtocol};
use super::{Ack, DeliveryError};
use serde_json::Value;

pub(crate) enum Judgement {
    Done(Ack),
    AwaitSplunkAck(u64),
}

pub(crate) fn judge(
    protocol: &HttpProtocol,
    status: u16,
    body: &[u8],
    batch_len: usize,
) -> Result<Judgement, DeliveryError> {
    let parse = || -> Result<Value, DeliveryError> {
        serde_json::from_slice(body).map_err(|_| {
            DeliveryError::new(format!(
                "receiver answered HTTP {status} with an unreadable body: {}",
                snippet(body)
            ))
        })
    };
    match protocol {
        HttpProtocol::Plain | HttpProtocol::Datadog => Ok(Judgement::Done(Ack::all())),
        HttpProtocol::SplunkHec { indexer_ack, .. } => {
            let v = parse()?;
            let code = v.get("code").and_then(Value::as_i64);
            if code != Some(0) {
                return Err(DeliveryError::new(format!(
                    "splunk answered code {}: {}",
                    code.map(|c| c.to_string()).unwrap_or_else(|| "?".into()),
                    v.get("text").and_then(Value::as_str).unwrap_or("")
                )));
            }
            if !indexer_ack {
                return Ok(Judgement::Done(Ack::all()));
            }
            match v.get("ackId").and_then(Value::as_u64) {
                Some(id) => Ok(Judgement::AwaitSplunkAck(id)),
                None => Err(DeliveryError::new(
                    "splunk returned no ackId although indexer acknowledgement is enabled; is it enabled on the token?",
                )),
            }
        }
        HttpProtocol::ElasticBulk => {
            let v = parse()?;
            if v.get("errors").and_then(Value::as_bool) == Some(false) {
                return Ok(Judgement::Done(Ack::all()));
            }
            let items = v
                .get("items")
                .and_then(Value::as_array)
                .ok_or_else(|| DeliveryError::new("bulk answer has errors but no items"))?;
            if items.len() != batch_len {
                return Err(DeliveryError::new(format!(
                    "bulk answer lists {} items for {batch_len} records",
                    items.len()
                )));
            }
            let mut retry = Vec::new();
            let mut reason = String::new();
            for (i, item) in items.iter().enumerate() {
                let result = item
                    .as_object()
                    .and_then(|o| o.values().next())
                    .cloned()
                    .unwrap_or(Value::Null);
                let status = result.get("status").and_then(Value::as_u64).unwrap_or(0);
                if (200..300).contains(&status) || status == 409 {
                    continue;
                }
                if reason.is_empty() {
                    let err = result.get("error");
                    let kind = err
                        .and_then(|e| e.get("type"))
                        .and_then(Value::as_str)
                        .unwrap_or("unknown");
                    let why = err
                        .and_then(|e| e.get("reason"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    reason = format!("bulk item status {status}: {kind} {why}");
                }
                retry.push(i);
            }
            if retry.is_empty() {
                Ok(Judgement::Done(Ack::all()))
            } else {
                Ok(Judgement::Done(Ack::Partial { retry, reason }))
            }
        }
        HttpProtocol::Otlp => {
            if body.is_empty() {
                return Ok(Judgement::Done(Ack::all()));
            }
            let v = parse()?;
            let partial = v.get("partialSuccess");
            let rejected = partial
                .and_then(|p| {
                    p.get("rejectedLogRecords")
                        .or_else(|| p.get("rejectedSpans"))
                })
                .and_then(|r| {
                    r.as_u64()
                        .or_else(|| r.as_str().and_then(|s| s.parse().ok()))
                })
                .unwrap_or(0);
            let note = partial
                .and_then(|p| p.get("errorMessage"))
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .map(str::to_string);
            Ok(Judgement::Done(Ack::All { rejected, note }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ack(protocol: &HttpProtocol, body: &str, n: usize) -> Result<Ack, DeliveryError> {
        match judge(protocol, 200, body.as_bytes(), n)? {
            Judgement::Done(a) => Ok(a),
            Judgement::AwaitSplunkAck(id) => Ok(Ack::Partial {
                retry: vec![],
                reason: format!("await {id}"),
            }),
        }
    }

    #[test]
    fn bulk_items_decide_what_is_sent_again() {
        let p = HttpProtocol::ElasticBulk;
        assert_eq!(ack(&p, r#"{"errors":false,"items":[]}"#, 3), Ok(Ack::all()));
        let mixed = r#"{"errors":true,"items":[
            {"create":{"status":201}},
            {"create":{"status":409,"error":{"type":"version_conflict_engine_exception"}}},
            {"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
            {"create":{"status":400,"error":{"type":"mapper_parsing_exception"}}}]}"#;
        match ack(&p, mixed, 4) {
            Ok(Ack::Partial { retry, reason }) => {
                assert_eq!(retry, vec![2, 3]);
                assert!(reason.contains("429"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(ack(
            &p,
            r#"{"errors":true,"items":[{"create":{"status":201}}]}"#,
            2
        )
        .is_err());
        assert!(ack(&p, "not json", 1).is_err());
    }

    #[test]
    fn splunk_codes_and_ack_ids() {
        let with_ack = HttpProtocol::SplunkHec {
            indexer_ack: true,
            ack_url: String::new(),
            ack_timeout: Duration::from_secs(1),
            channel: String::new(),
        };
        let Ok(Ack::Partial { reason, .. }) =
            ack(&with_ack, r#"{"text":"Success","code":0,"ackId":7}"#, 1)
        else {
            panic!("expected an ack wait");
        };
        assert_eq!(reason, "await 7");
        assert!(ack(&with_ack, r#"{"text":"Success","code":0}"#, 1).is_err());
        assert!(ack(&with_ack, r#"{"text":"Server is busy","code":9}"#, 1).is_err());
    }

    #[test]
    fn otlp_partial_success_is_final_but_reported() {
        let p = HttpProtocol::Otlp;
        assert_eq!(ack(&p, "", 2), Ok(Ack::all()));
        assert_eq!(ack(&p, "{}", 2), Ok(Ack::all()));
        assert_eq!(
            ack(
                &p,
                r#"{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"too big"}}"#,
                2
            ),
            Ok(Ack::All {
                rejected: 1,
                note: Some("too big".into())
            })
        );
    }
}
