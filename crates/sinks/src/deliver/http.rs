//! HTTP deliveries: one POST per batch, with the protocol's authentication
//! header, and the protocol's own notion of acknowledgement (see
//! [`super::response`]). Any status outside 2xx, a timeout, a reset
//! connection or an unparseable answer is an error the runner retries.

use super::response::{judge, Judgement};
use super::{Ack, Delivery, DeliveryError};
use crate::record::Record;
use crate::secret::Secret;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use std::time::Duration;

/// Response body size read at most (bulk responses list every item).
const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// How a receiver acknowledges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpProtocol {
    /// Any 2xx.
    Plain,
    /// Splunk HEC; with indexer acknowledgement, the batch counts only once
    /// `/services/collector/ack` reports its `ackId` indexed.
    SplunkHec {
        indexer_ack: bool,
        ack_url: String,
        ack_timeout: Duration,
        channel: String,
    },
    /// Elasticsearch `_bulk`: per-item statuses.
    ElasticBulk,
    /// OTLP/HTTP: `partialSuccess` rejections are final.
    Otlp,
    /// Datadog logs intake: 2xx (202).
    Datadog,
}

pub struct HttpDelivery {
    client: reqwest::Client,
    url: String,
    headers: HeaderMap,
    protocol: HttpProtocol,
}

impl std::fmt::Debug for HttpDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpDelivery")
            .field("url", &self.url)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl HttpDelivery {
    /// `headers` are sent with every request; secret values are marked
    /// sensitive so they never appear in debug output.
    pub fn new(
        client: reqwest::Client,
        url: String,
        content_type: &str,
        headers: Vec<(String, Secret)>,
        protocol: HttpProtocol,
    ) -> Result<Self, String> {
        let mut map = HeaderMap::new();
        map.insert(
            CONTENT_TYPE,
            HeaderValue::from_str(content_type).map_err(|e| e.to_string())?,
        );
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{name}` is not a valid header name"))?;
            let mut value = HeaderValue::from_str(value.expose())
                .map_err(|_| format!("the value of header `{name}` is not valid in HTTP"))?;
            value.set_sensitive(true);
            map.insert(name, value);
        }
        if let HttpProtocol::SplunkHec { channel, .. } = &protocol {
            let value = HeaderValue::from_str(channel).map_err(|e| e.to_string())?;
            map.insert(HeaderName::from_static("x-splunk-request-channel"), value);
        }
        Ok(HttpDelivery {
            client,
            url,
            headers: map,
            protocol,
        })
    }

    async fn post(&self, url: &str, body: Vec<u8>) -> Result<(u16, Vec<u8>), DeliveryError> {
        let response = self
            .client
            .post(url)
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(|e| DeliveryError::new(describe(&e)))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| super::parse_retry_after(v, time::OffsetDateTime::now_utc()));
        let body = read_limited(response).await?;
        if !(200..300).contains(&status) {
            return Err(DeliveryError {
                message: format!("receiver answered HTTP {status}: {}", snippet(&body)),
                retry_after,
            });
        }
        Ok((status, body))
    }

    async fn wait_for_indexer_ack(
        &self,
        ack_url: &str,
        ack_timeout: Duration,
        ack_id: u64,
    ) -> Result<(), DeliveryError> {
        let deadline = tokio::time::Instant::now() + ack_timeout;
        let mut pause = Duration::from_millis(50);
        loop {
            let query = serde_json::json!({ "acks": [ack_id] })
                .to_string()
                .into_bytes();
            let (_, body) = self.post(ack_url, query).await?;
            let acked = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("acks")?.get(ack_id.to_string())?.as_bool())
                .unwrap_or(false);
            if acked {
                return Ok(());
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Err(DeliveryError::new(format!(
                    "splunk did not confirm indexing ackId {ack_id} within {} ms; sending the batch again",
                    ack_timeout.as_millis()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }
}

#[async_trait::async_trait]
impl Delivery for HttpDelivery {
    async fn deliver(&mut self, body: Vec<u8>, batch: &[Record]) -> Result<Ack, DeliveryError> {
        let (status, response) = self.post(&self.url, body).await?;
        match judge(&self.protocol, status, &response, batch.len())? {
            Judgement::Done(ack) => Ok(ack),
            Judgement::AwaitSplunkAck(ack_id) => match &self.protocol {
                HttpProtocol::SplunkHec {
                    ack_url,
                    ack_timeout,
                    ..
                } => {
                    self.wait_for_indexer_ack(ack_url, *ack_timeout, ack_id)
                        .await?;
                    Ok(Ack::all())
                }
                _ => Ok(Ack::all()),
            },
        }
    }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, DeliveryError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        DeliveryError::new(format!(
            "reading the receiver's answer failed: {}",
            describe(&e)
        ))
    })? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(DeliveryError::new(format!(
                "the receiver's answer exceeds {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The start of a response body, printable, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).filter(|c| !c.is_control()).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// A transport error without the URL's query string or credentials.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {detail}")
    }
}
