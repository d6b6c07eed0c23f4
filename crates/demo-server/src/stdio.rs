//! Newline-delimited JSON-RPC over stdin/stdout.
//!
//! Invariants: stdout carries only complete JSON-RPC messages, one per line,
//! written by a single writer task; requests are served concurrently; the
//! server exits when stdin closes.

use std::sync::Arc;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::dispatch::{resolve_era, Dispatcher};
use crate::rpc::{self, Incoming, RpcError};

pub async fn serve(dispatcher: Arc<Dispatcher>) -> anyhow::Result<()> {
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Value>();
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(message) = out_rx.recv().await {
            let mut line = message.to_string();
            line.push('\n');
            if stdout.write_all(line.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
        }
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut in_flight = tokio::task::JoinSet::new();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let message: Value = match serde_json::from_str(&line) {
            Ok(message) => message,
            Err(error) => {
                let error = RpcError::new(rpc::PARSE_ERROR, format!("invalid json: {error}"));
                let _ = out_tx.send(rpc::error_response(&Value::Null, &error));
                continue;
            }
        };
        match rpc::classify(&message) {
            Err(reply) => {
                let _ = out_tx.send(reply);
            }
            Ok(Incoming::Request { id, method, params }) => {
                let dispatcher = Arc::clone(&dispatcher);
                let out_tx = out_tx.clone();
                in_flight.spawn(async move {
                    let reply = match resolve_era(&method, &params, None) {
                        Ok(era) => {
                            dispatcher
                                .handle_request(&id, &method, &params, era, Some(&out_tx))
                                .await
                        }
                        Err(error) => rpc::error_response(&id, &error),
                    };
                    let _ = out_tx.send(reply);
                });
            }
            Ok(Incoming::Notification { method, .. }) => {
                tracing::debug!(%method, "notification ignored")
            }
            Ok(Incoming::Response) => tracing::debug!("response ignored"),
        }
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
    drop(out_tx);
    let _ = writer.await;
    Ok(())
}
