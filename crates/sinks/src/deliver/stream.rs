//! Syslog over TCP or TLS (RFC 5425 / RFC 6587 octet counting): the body is
//! already framed; it is written on a kept-open connection.
//!
//! Syslog over TCP has no application-level acknowledgement: a batch counts
//! as delivered once the whole body is written and flushed to the socket.
//! Before each batch a kept connection is checked for an end-of-stream or
//! reset from the receiver (a receiver sends nothing, so anything readable
//! means it went away) and is replaced, so a restarted receiver does not
//! swallow the next batch into a dead socket.

use super::{Ack, Delivery, DeliveryError};
use crate::record::Record;
use rustls_pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct StreamDelivery {
    host: String,
    port: u16,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    timeout: Duration,
    conn: Option<Conn>,
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref().0,
        }
    }

    fn writer(&mut self) -> &mut (dyn AsyncWrite + Unpin + Send) {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.as_mut(),
        }
    }

    /// Whether the receiver closed or reset the connection.
    fn peer_gone(&self) -> bool {
        let mut probe = [0u8; 1];
        match self.tcp().try_read(&mut probe) {
            Ok(_) => true,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        }
    }
}

impl StreamDelivery {
    pub fn new(
        host: String,
        port: u16,
        tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
        timeout: Duration,
    ) -> Self {
        StreamDelivery {
            host,
            port,
            tls: tls.map(|(config, name)| (tokio_rustls::TlsConnector::from(config), name)),
            timeout,
            conn: None,
        }
    }

    async fn connect(&self) -> Result<Conn, String> {
        let tcp = tokio::time::timeout(
            self.timeout,
            TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| "connecting timed out".to_string())?
        .map_err(|e| format!("connecting failed: {e}"))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Conn::Plain(tcp)),
            Some((connector, name)) => {
                let stream =
                    tokio::time::timeout(self.timeout, connector.connect(name.clone(), tcp))
                        .await
                        .map_err(|_| "TLS handshake timed out".to_string())?
                        .map_err(|e| format!("TLS handshake failed: {e}"))?;
                Ok(Conn::Tls(Box::new(stream)))
            }
        }
    }

    async fn send(&mut self, body: &[u8]) -> Result<(), String> {
        if self.conn.as_ref().is_some_and(Conn::peer_gone) {
            tracing::info!(host = %self.host, port = self.port, "syslog receiver closed the connection; reconnecting");
            self.conn = None;
        }
        if self.conn.is_none() {
            self.conn = Some(self.connect().await?);
        }
        let conn = self.conn.as_mut().ok_or("no connection")?;
        let write = async {
            let w = conn.writer();
            w.write_all(body).await?;
            w.flush().await
        };
        tokio::time::timeout(self.timeout, write)
            .await
            .map_err(|_| "writing timed out".to_string())?
            .map_err(|e| format!("writing failed: {e}"))
    }
}

#[async_trait::async_trait]
impl Delivery for StreamDelivery {
    async fn deliver(&mut self, body: Vec<u8>, _batch: &[Record]) -> Result<Ack, DeliveryError> {
        match self.send(&body).await {
            Ok(()) => Ok(Ack::all()),
            Err(e) => {
                self.conn = None;
                Err(DeliveryError::new(format!(
                    "syslog {}:{}: {e}",
                    self.host, self.port
                )))
            }
        }
    }
}
