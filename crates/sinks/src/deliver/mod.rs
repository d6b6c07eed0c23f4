//! Deliveries: send one encoded batch and report what the receiver
//! acknowledged. A delivery never decides to drop anything: it reports
//! success, a partial success naming the records to send again, or an error
//! (with the receiver's `Retry-After`, when it gave one); the runner retries.

mod file;
mod http;
mod response;
mod retry_after;
mod stream;

pub use file::FileDelivery;
pub use http::{HttpDelivery, HttpProtocol};
pub use retry_after::parse_retry_after;
pub use stream::StreamDelivery;

use crate::record::Record;
use std::time::Duration;

/// What the receiver acknowledged for one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ack {
    /// Every record is durably accepted (or, with `rejected > 0`, refused
    /// permanently by a receiver whose protocol forbids sending it again,
    /// such as an OTLP partial success).
    All { rejected: u64, note: Option<String> },
    /// The records at these positions of the batch must be sent again; the
    /// others are accepted.
    Partial { retry: Vec<usize>, reason: String },
}

impl Ack {
    pub fn all() -> Ack {
        Ack::All {
            rejected: 0,
            note: None,
        }
    }
}

/// A failed delivery: nothing in the batch counts as accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    pub message: String,
    /// How long the receiver asked to wait before trying again.
    pub retry_after: Option<Duration>,
}

impl DeliveryError {
    pub fn new(message: impl Into<String>) -> Self {
        DeliveryError {
            message: message.into(),
            retry_after: None,
        }
    }
}

#[async_trait::async_trait]
pub trait Delivery: Send + Sync {
    /// Send `body`, the encoding of `batch`, and wait for the receiver's
    /// acknowledgement.
    async fn deliver(&mut self, body: Vec<u8>, batch: &[Record]) -> Result<Ack, DeliveryError>;
}
