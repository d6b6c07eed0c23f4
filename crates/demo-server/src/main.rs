//! `behavry-demo-server`: demo MCP tool servers used as gateway upstreams in
//! demos and end-to-end tests.
//!
//! One process serves one profile (`database`, `files` or `email`) over
//! stdio (default) or Streamable HTTP (`--http ADDR`, path `/mcp`). State
//! lives under `--data-dir`. Logs go to stderr only, so stdout stays a clean
//! JSON-RPC channel in stdio mode.

mod dispatch;
mod era;
mod http;
mod profiles;
mod rpc;
mod stdio;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;

use crate::dispatch::Dispatcher;
use crate::profiles::{Profile, ProfileKind};

/// Demo MCP server for Behavry.
#[derive(Debug, Parser)]
#[command(name = "behavry-demo-server", version)]
struct Args {
    /// Which demo tool server to run.
    #[arg(long, value_enum)]
    profile: ProfileKind,

    /// Folder holding the profile's state (database file, sandbox, outbox).
    #[arg(long, default_value = "./data/demo")]
    data_dir: PathBuf,

    /// Serve Streamable HTTP on this address (e.g. 127.0.0.1:8931; port 0
    /// picks a free one) instead of stdio.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("BEHAVRY_DEMO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let profile = Profile::start(args.profile, &args.data_dir)
        .await
        .map_err(|error| {
            anyhow::anyhow!("cannot start the {} profile: {error}", args.profile.name())
        })?;
    let dispatcher = Arc::new(Dispatcher::new(profile));
    match args.http {
        Some(addr) => http::serve(dispatcher, addr).await,
        None => {
            tokio::select! {
                result = stdio::serve(dispatcher) => result,
                () = shutdown_signal() => Ok(()),
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
