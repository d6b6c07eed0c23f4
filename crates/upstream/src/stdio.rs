//! Stdio transport: a child process speaking newline-delimited JSON-RPC.
//!
//! Owns three tasks: a writer (serialises lines onto stdin; dropping stdin is
//! how the server is asked to exit), a reader (routes stdout lines through the
//! [`Router`]), a stderr drain (to tracing at debug, line length bounded), and
//! a supervisor that owns the child and kills it on shutdown.
//!
//! Invariants: a stdout line longer than [`MAX_LINE_BYTES`] fails the whole
//! connection (never unbounded buffering); when the child exits or the last
//! handle is dropped, every waiter is released and the child is killed.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{broadcast, mpsc};
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::error::UpstreamError;
use crate::message;
use crate::router::{Outcome, Router};
use crate::spec::ServerMessage;

/// Largest accepted stdout line (one JSON-RPC message).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
/// Longer stderr lines are discarded.
const MAX_STDERR_LINE_BYTES: usize = 8 * 1024;
/// The only variables a child inherits from the gateway's environment; the
/// rest (which may hold the gateway's own secrets, or other upstreams') must
/// be passed explicitly through the upstream's `env`.
pub const INHERITED_ENV: [&str; 10] = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "SYSTEMROOT",
];
/// How long `close` waits for the child to exit after closing stdin.
const EXIT_GRACE: Duration = Duration::from_secs(2);

enum WriterCommand {
    Line(Vec<u8>),
    Close,
}

pub(crate) struct StdioCommand<'a> {
    pub command: &'a str,
    pub args: &'a [String],
    pub env: &'a [(String, String)],
    pub cwd: Option<&'a std::path::Path>,
}

pub(crate) struct StdioTransport {
    upstream: String,
    writer: mpsc::UnboundedSender<WriterCommand>,
    router: Arc<Router>,
    shutdown: CancellationToken,
    exited: CancellationToken,
    pid: Option<u32>,
    _kill_on_drop: DropGuard,
}

impl StdioTransport {
    pub(crate) fn spawn(
        upstream: &str,
        spec: StdioCommand<'_>,
        broadcast: broadcast::Sender<ServerMessage>,
    ) -> Result<Self, UpstreamError> {
        let mut command = Command::new(spec.command);
        command
            .args(spec.args)
            .env_clear()
            .envs(
                INHERITED_ENV
                    .iter()
                    .filter_map(|k| std::env::var_os(k).map(|v| (k, v))),
            )
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(cwd) = spec.cwd {
            command.current_dir(cwd);
        }
        let spawn_error = |reason: String| UpstreamError::Spawn {
            upstream: upstream.to_owned(),
            reason,
        };
        let mut child = command
            .spawn()
            .map_err(|e| spawn_error(format!("{} ({e})", spec.command)))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(spawn_error("stdio pipes unavailable".to_owned()));
        };
        let pid = child.id();
        let router = Arc::new(Router::new(upstream, broadcast));
        let shutdown = CancellationToken::new();
        let exited = CancellationToken::new();
        let (writer, commands) = mpsc::unbounded_channel();

        tokio::spawn(write_lines(
            upstream.to_owned(),
            stdin,
            commands,
            router.clone(),
        ));
        tokio::spawn(read_stdout(
            upstream.to_owned(),
            stdout,
            router.clone(),
            shutdown.clone(),
        ));
        tokio::spawn(drain_stderr(upstream.to_owned(), stderr));
        tokio::spawn(supervise(
            upstream.to_owned(),
            child,
            router.clone(),
            shutdown.clone(),
            exited.clone(),
        ));
        Ok(Self {
            upstream: upstream.to_owned(),
            writer,
            router,
            _kill_on_drop: shutdown.clone().drop_guard(),
            shutdown,
            exited,
            pid,
        })
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.pid
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.router.is_alive()
    }

    /// Queues one message for stdin.
    pub(crate) fn send(&self, message: &Value) -> Result<(), UpstreamError> {
        if !self.router.is_alive() {
            return Err(UpstreamError::closed(&self.upstream));
        }
        let mut line = serde_json::to_vec(message).map_err(|e| {
            UpstreamError::protocol(&self.upstream, format!("cannot encode message: {e}"))
        })?;
        line.push(b'\n');
        self.writer
            .send(WriterCommand::Line(line))
            .map_err(|_| UpstreamError::closed(&self.upstream))
    }

    /// Sends request `message` (whose id is `id`) and waits for its response.
    pub(crate) async fn request(
        &self,
        id: u64,
        message: &Value,
        progress_token: Option<Value>,
        interim: Option<mpsc::Sender<ServerMessage>>,
    ) -> Result<Outcome, UpstreamError> {
        let reply = self.router.register(id, progress_token, interim)?;
        if let Err(error) = self.send(message) {
            self.router.remove(id);
            return Err(error);
        }
        reply
            .await
            .map_err(|_| UpstreamError::closed(&self.upstream))
    }

    /// Forgets request `id`; when it was still waiting and `send_cancel`,
    /// tells the server with `notifications/cancelled`. Never blocks.
    pub(crate) fn abandon(&self, id: u64, send_cancel: bool, reason: &str) {
        if self.router.remove(id) && send_cancel {
            let _ = self.send(&message::cancelled(id, reason));
        }
    }

    /// Closes stdin, waits briefly for the child to exit, then kills it.
    pub(crate) async fn close(&self) {
        self.router.fail_all();
        let _ = self.writer.send(WriterCommand::Close);
        if tokio::time::timeout(EXIT_GRACE, self.exited.cancelled())
            .await
            .is_err()
        {
            tracing::debug!(upstream = %self.upstream, "server did not exit after stdin closed; killing it");
            self.shutdown.cancel();
            self.exited.cancelled().await;
        }
    }
}

async fn write_lines(
    upstream: String,
    mut stdin: ChildStdin,
    mut commands: mpsc::UnboundedReceiver<WriterCommand>,
    router: Arc<Router>,
) {
    while let Some(command) = commands.recv().await {
        let WriterCommand::Line(line) = command else {
            break;
        };
        let written = match stdin.write_all(&line).await {
            Ok(()) => stdin.flush().await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::warn!(%upstream, error = %e, "writing to server stdin failed");
            router.fail_all();
            break;
        }
    }
}

async fn read_stdout(
    upstream: String,
    stdout: tokio::process::ChildStdout,
    router: Arc<Router>,
    shutdown: CancellationToken,
) {
    let mut lines = FramedRead::new(stdout, LinesCodec::new_with_max_length(MAX_LINE_BYTES));
    while let Some(line) = lines.next().await {
        let line = match line {
            Ok(line) => line,
            Err(LinesCodecError::MaxLineLengthExceeded) => {
                tracing::error!(%upstream, limit = MAX_LINE_BYTES, "server sent an oversized line; closing connection");
                break;
            }
            Err(LinesCodecError::Io(e)) => {
                tracing::warn!(%upstream, error = %e, "reading server stdout failed");
                break;
            }
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Array(batch)) => batch.into_iter().for_each(|m| router.route(m)),
            Ok(message) => router.route(message),
            Err(e) => {
                tracing::warn!(%upstream, error = %e, bytes = line.len(), "ignoring stdout line that is not json")
            }
        }
    }
    router.fail_all();
    shutdown.cancel();
}

async fn drain_stderr(upstream: String, stderr: tokio::process::ChildStderr) {
    let mut lines = FramedRead::new(
        stderr,
        LinesCodec::new_with_max_length(MAX_STDERR_LINE_BYTES),
    );
    while let Some(line) = lines.next().await {
        match line {
            Ok(line) => tracing::debug!(%upstream, stderr = %line),
            Err(LinesCodecError::MaxLineLengthExceeded) => {
                tracing::debug!(%upstream, "discarded an overlong stderr line")
            }
            Err(LinesCodecError::Io(_)) => break,
        }
    }
}

async fn supervise(
    upstream: String,
    mut child: Child,
    router: Arc<Router>,
    shutdown: CancellationToken,
    exited: CancellationToken,
) {
    let status = tokio::select! {
        status = child.wait() => status,
        () = shutdown.cancelled() => {
            let _ = child.start_kill();
            child.wait().await
        }
    };
    match status {
        Ok(status) => tracing::debug!(%upstream, %status, "server process exited"),
        Err(e) => tracing::warn!(%upstream, error = %e, "waiting for server process failed"),
    }
    router.fail_all();
    exited.cancel();
}
