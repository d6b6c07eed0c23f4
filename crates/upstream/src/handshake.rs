//! Connection handshake: era detection and the legacy `initialize` exchange.
//!
//! Over HTTP with `prefer_modern`, a `server/discover` probe at 2026-07-28
//! decides the era: a result listing 2026-07-28 means modern; any JSON-RPC
//! error, failure status or unparseable answer means legacy, except -32022
//! naming only versions we do not speak (a real incompatibility). Network
//! failures and timeouts are never an era verdict: they fail the connect.
//! Stdio always uses `initialize`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

use crate::error::UpstreamError;
use crate::message;
use crate::router::Outcome;
use crate::spec::{ClientInit, Era, LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSION};
use crate::transport::Transport;

const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

pub(crate) struct Negotiated {
    pub era: Era,
    pub protocol_version: String,
    pub server_info: Value,
}

pub(crate) async fn handshake(
    upstream: &str,
    transport: &Transport,
    init: &ClientInit,
    next_id: &AtomicU64,
) -> Result<Negotiated, UpstreamError> {
    if let (Transport::Http(http), true) = (transport, init.prefer_modern) {
        let probe = http
            .discover(
                next_id.fetch_add(1, Ordering::Relaxed),
                MODERN_PROTOCOL_VERSION,
            )
            .await;
        if let Some(server_info) = modern_verdict(upstream, probe)? {
            http.set_negotiated(Era::Modern, MODERN_PROTOCOL_VERSION);
            return Ok(Negotiated {
                era: Era::Modern,
                protocol_version: MODERN_PROTOCOL_VERSION.to_owned(),
                server_info,
            });
        }
    }
    let params = json!({
        "protocolVersion": init.protocol_version,
        "capabilities": init.capabilities,
        "clientInfo": init.client_info,
    });
    let id = next_id.fetch_add(1, Ordering::Relaxed);
    let outcome = match transport {
        Transport::Stdio(stdio) => {
            let request = message::request(id, "initialize", Some(params));
            stdio.request(id, &request, None, None).await?
        }
        Transport::Http(http) => http.initialize(id, params).await?,
    };
    let server_info = outcome.map_err(|error| {
        UpstreamError::protocol(
            upstream,
            format!("initialize rejected: {}", error_summary(&error)),
        )
    })?;
    let protocol_version = server_info
        .get("protocolVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            UpstreamError::protocol(upstream, "initialize result has no protocol version")
        })?
        .to_owned();
    if !LEGACY_PROTOCOL_VERSIONS.contains(&protocol_version.as_str()) {
        return Err(UpstreamError::protocol(
            upstream,
            format!("unsupported protocol version {protocol_version:?}"),
        ));
    }
    if let Transport::Http(http) = transport {
        http.set_negotiated(Era::Legacy, &protocol_version);
    }
    transport
        .notify(&message::notification("notifications/initialized", None))
        .await?;
    if let Transport::Http(http) = transport {
        http.start_server_stream();
    }
    Ok(Negotiated {
        era: Era::Legacy,
        protocol_version,
        server_info,
    })
}

/// `Some(discover result)` when the probe proves a modern server, `None` to
/// fall back to `initialize`.
fn modern_verdict(
    upstream: &str,
    probe: Result<Outcome, UpstreamError>,
) -> Result<Option<Value>, UpstreamError> {
    match probe {
        Ok(Ok(result)) => {
            let modern = result
                .get("supportedVersions")
                .and_then(Value::as_array)
                .is_some_and(|versions| versions.iter().any(|v| v == MODERN_PROTOCOL_VERSION));
            Ok(modern.then_some(result))
        }
        Ok(Err(error)) => {
            let code = error.get("code").and_then(Value::as_i64);
            let supported = error
                .get("data")
                .and_then(|d| d.get("supported"))
                .and_then(Value::as_array);
            if let (Some(UNSUPPORTED_PROTOCOL_VERSION), Some(supported)) = (code, supported) {
                let speaks_ours = supported.iter().any(|v| {
                    v.as_str().is_some_and(|v| {
                        v == MODERN_PROTOCOL_VERSION || LEGACY_PROTOCOL_VERSIONS.contains(&v)
                    })
                });
                if !speaks_ours {
                    return Err(UpstreamError::protocol(
                        upstream,
                        "server supports none of the protocol versions this gateway speaks",
                    ));
                }
            }
            Ok(None)
        }
        Err(
            UpstreamError::Http { .. }
            | UpstreamError::Protocol { .. }
            | UpstreamError::SessionExpired { .. },
        ) => Ok(None),
        Err(other) => Err(other),
    }
}

fn error_summary(error: &Value) -> String {
    let code = error
        .get("code")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let text: String = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    format!("code {code}: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discover_verdicts() {
        let http = |status| {
            Err(UpstreamError::Http {
                upstream: "u".into(),
                status,
            })
        };
        let cases: Vec<(Result<Outcome, UpstreamError>, &str)> = vec![
            (
                Ok(Ok(json!({"supportedVersions": ["2026-07-28"]}))),
                "modern",
            ),
            (
                Ok(Ok(json!({"supportedVersions": ["2025-11-25"]}))),
                "legacy",
            ),
            (Ok(Ok(json!({}))), "legacy"),
            (
                Ok(Err(
                    json!({"code": -32000, "message": "Server not initialized"}),
                )),
                "legacy",
            ),
            (
                Ok(Err(
                    json!({"code": -32022, "data": {"supported": ["2025-06-18"]}}),
                )),
                "legacy",
            ),
            (
                Ok(Err(
                    json!({"code": -32022, "data": {"supported": ["2099-01-01"]}}),
                )),
                "error",
            ),
            (http(404), "legacy"),
            (http(405), "legacy"),
            (
                Err(UpstreamError::Unreachable {
                    upstream: "u".into(),
                    reason: "refused".into(),
                }),
                "error",
            ),
        ];
        for (probe, expected) in cases {
            let got = match modern_verdict("u", probe) {
                Ok(Some(_)) => "modern",
                Ok(None) => "legacy",
                Err(_) => "error",
            };
            assert_eq!(got, expected);
        }
    }
}
