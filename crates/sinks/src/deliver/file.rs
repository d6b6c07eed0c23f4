//! Appending batches to a local file, rotated by size and age.
//!
//! A batch counts as delivered once it is written and `fsync`ed. Before a
//! write that would take the file past `rotate_bytes`, or once the file is
//! older than `rotate_age`, the file is renamed to
//! `<path>.<UTC time>[.<n>]` and a new one is started. Files are created
//! with mode 0600: the trace holds what agents did.

use super::{Ack, Delivery, DeliveryError};
use crate::record::Record;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::io::AsyncWriteExt;

pub struct FileDelivery {
    path: PathBuf,
    rotate_bytes: u64,
    rotate_age: Option<Duration>,
    open: Option<Open>,
}

struct Open {
    file: tokio::fs::File,
    size: u64,
    since: SystemTime,
}

impl FileDelivery {
    pub fn new(path: PathBuf, rotate_bytes: u64, rotate_age: Option<Duration>) -> Self {
        FileDelivery {
            path,
            rotate_bytes,
            rotate_age,
            open: None,
        }
    }

    async fn ensure_open(&mut self) -> std::io::Result<&mut Open> {
        if self.open.is_none() {
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(dir).await?;
            }
            let mut options = tokio::fs::OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            options.mode(0o600);
            let file = options.open(&self.path).await?;
            let meta = file.metadata().await?;
            let since = meta
                .created()
                .or_else(|_| meta.modified())
                .unwrap_or_else(|_| SystemTime::now());
            self.open = Some(Open {
                file,
                size: meta.len(),
                since,
            });
        }
        self.open
            .as_mut()
            .ok_or_else(|| std::io::Error::other("file is not open"))
    }

    async fn rotate_if_due(&mut self, incoming: u64) -> std::io::Result<()> {
        let (rotate_bytes, rotate_age) = (self.rotate_bytes, self.rotate_age);
        let due = {
            let open = self.ensure_open().await?;
            let too_big = open.size > 0 && open.size + incoming > rotate_bytes;
            let too_old = open.size > 0
                && rotate_age.is_some_and(|age| open.since.elapsed().unwrap_or_default() >= age);
            too_big || too_old
        };
        if due {
            if let Some(open) = self.open.take() {
                open.file.sync_all().await?;
            }
            let target = rotated_name(&self.path).await;
            tokio::fs::rename(&self.path, &target).await?;
            tracing::info!(from = %self.path.display(), to = %target.display(), "trace sink file rotated");
            self.ensure_open().await?;
        }
        Ok(())
    }

    async fn write(&mut self, body: &[u8]) -> std::io::Result<()> {
        self.rotate_if_due(body.len() as u64).await?;
        let open = self.ensure_open().await?;
        open.file.write_all(body).await?;
        open.file.flush().await?;
        open.file.sync_data().await?;
        open.size += body.len() as u64;
        Ok(())
    }
}

async fn rotated_name(path: &Path) -> PathBuf {
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_else(|_| "rotated".to_string());
    let base = format!("{}.{stamp}", path.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while tokio::fs::try_exists(&candidate).await.unwrap_or(false) {
        candidate = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    candidate
}

#[async_trait::async_trait]
impl Delivery for FileDelivery {
    async fn deliver(&mut self, body: Vec<u8>, _batch: &[Record]) -> Result<Ack, DeliveryError> {
        match self.write(&body).await {
            Ok(()) => Ok(Ack::all()),
            Err(e) => {
                // Reopen on the next attempt; a torn line from this attempt is
                // followed by the complete batch again.
                self.open = None;
                Err(DeliveryError::new(format!(
                    "writing {} failed: {e}",
                    self.path.display()
                )))
            }
        }
    }
}
