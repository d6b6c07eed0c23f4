//! Hot reload: watch a policy directory and reload it through a
//! [`PolicyHandle`] after changes settle.
//!
//! Invariants:
//! - Bursts of file events are debounced: a reload starts only after no
//!   event arrived for the debounce window, so an editor's save sequence or
//!   a `git checkout` produces one reload.
//! - Read-only events (open, read, close without write) are ignored, so the
//!   reload's own reads never trigger another reload.
//! - The load runs on tokio's blocking pool; the previous set stays active
//!   until the new one fully validated (see [`PolicyHandle::reload_from`]).
//! - Dropping the watcher stops watching and ends its task.

use crate::handle::PolicyHandle;
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// Quiet period after the last file event before reloading.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch policy directory {path}: {message}")]
    Watch { path: PathBuf, message: String },
    #[error("the policy watcher must be started inside a tokio runtime")]
    NoRuntime,
}

/// A running directory watcher. Keep it alive for as long as hot reload
/// should work.
pub struct PolicyWatcher {
    _watcher: RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
    dir: PathBuf,
}

impl std::fmt::Debug for PolicyWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyWatcher")
            .field("dir", &self.dir)
            .finish()
    }
}

impl PolicyWatcher {
    /// Watch `dir` recursively and reload into `handle` on change.
    pub fn spawn(dir: &Path, handle: PolicyHandle) -> Result<PolicyWatcher, WatchError> {
        PolicyWatcher::spawn_with_debounce(dir, handle, DEFAULT_DEBOUNCE)
    }

    pub fn spawn_with_debounce(
        dir: &Path,
        handle: PolicyHandle,
        debounce: Duration,
    ) -> Result<PolicyWatcher, WatchError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| WatchError::NoRuntime)?;
        let watch_error = |e: notify::Error| WatchError::Watch {
            path: dir.to_path_buf(),
            message: e.to_string(),
        };
        let (tx, rx) = mpsc::unbounded_channel::<()>();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| match event {
            Ok(event) if is_change(&event.kind) => {
                let _ = tx.send(());
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "policy directory watch reported an error; reloading to be safe");
                let _ = tx.send(());
            }
        })
        .map_err(watch_error)?;
        watcher
            .watch(dir, RecursiveMode::Recursive)
            .map_err(watch_error)?;
        let task = runtime.spawn(reload_loop(dir.to_path_buf(), handle, rx, debounce));
        tracing::info!(dir = %dir.display(), "watching policy directory for changes");
        Ok(PolicyWatcher {
            _watcher: watcher,
            task,
            dir: dir.to_path_buf(),
        })
    }
}

impl Drop for PolicyWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

async fn reload_loop(
    dir: PathBuf,
    handle: PolicyHandle,
    mut rx: mpsc::UnboundedReceiver<()>,
    debounce: Duration,
) {
    while rx.recv().await.is_some() {
        loop {
            match tokio::time::timeout(debounce, rx.recv()).await {
                Ok(Some(())) => continue,
                Ok(None) => return,
                Err(_quiet) => break,
            }
        }
        let handle = handle.clone();
        let dir = dir.clone();
        // Errors are logged and recorded in the handle's status.
        let _ = tokio::task::spawn_blocking(move || handle.reload_from(&dir)).await;
    }
}
