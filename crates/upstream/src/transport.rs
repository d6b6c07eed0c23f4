//! The transport behind a connection, with the operations both kinds share.

use serde_json::Value;

use crate::error::UpstreamError;
use crate::http::HttpTransport;
use crate::spec::Era;
use crate::stdio::StdioTransport;

pub(crate) enum Transport {
    Stdio(StdioTransport),
    Http(HttpTransport),
}

impl Transport {
    /// Sends a notification or a response to a server request.
    pub(crate) async fn notify(&self, message: &Value) -> Result<(), UpstreamError> {
        match self {
            Self::Stdio(stdio) => stdio.send(message),
            Self::Http(http) => http.post_message(message).await,
        }
    }

    pub(crate) fn abandon(&self, id: u64, send_cancel: bool, reason: &str) {
        match self {
            Self::Stdio(stdio) => stdio.abandon(id, send_cancel, reason),
            Self::Http(http) => http.abandon(id, send_cancel, reason),
        }
    }

    pub(crate) fn is_alive(&self) -> bool {
        match self {
            Self::Stdio(stdio) => stdio.is_alive(),
            Self::Http(http) => http.is_alive(),
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Self::Stdio(stdio) => stdio.close().await,
            Self::Http(http) => http.close().await,
        }
    }

    /// Whether notifications and responses can be sent in `era`.
    pub(crate) fn accepts_client_messages(&self, era: Era) -> bool {
        matches!(self, Self::Stdio(_)) || era == Era::Legacy
    }
}
