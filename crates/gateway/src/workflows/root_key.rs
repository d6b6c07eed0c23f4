//! The workflow root key: signs every workflow's root token.
//!
//! From `[workflows] root_key` (a secret reference, resolved by the
//! caller) when set, so several replicas share one key; otherwise created
//! on first start as `<data_dir>/workflow-root.key` (mode 0600). Its public
//! key is recorded in the settings (`workflow_public_key`): a start with a
//! different key, or without the file once a key was recorded, is refused,
//! because every token already handed out would stop verifying.

use behavry_store::{Store, StoreError};
use behavry_workflow::WorkflowAuthority;
use std::path::{Path, PathBuf};

pub const ROOT_KEY_FILE: &str = "workflow-root.key";
pub const PUBLIC_KEY_SETTING: &str = "workflow_public_key";

#[derive(Debug, thiserror::Error)]
pub enum RootKeyError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot read the workflow root key {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the workflow root key {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the workflow root key ({origin}) is malformed: {reason}")]
    Malformed { origin: String, reason: String },
    #[error("the workflow root key ({origin}) is {found}, but this deployment's workflow tokens are signed by {expected}; restore the original key")]
    Mismatch {
        origin: String,
        expected: String,
        found: String,
    },
    #[error("the workflow root key file {path} is missing, but this deployment's tokens are signed by {expected}; restore it from a backup or set [workflows] root_key")]
    Missing { path: String, expected: String },
}

/// Load the root key (from `secret` when given), creating the key file on
/// first start. Returns the authority and, when a file was just created,
/// its path.
pub async fn load_root_key(
    store: &Store,
    data_dir: &Path,
    secret: Option<&str>,
) -> Result<(WorkflowAuthority, Option<PathBuf>), RootKeyError> {
    let recorded = store.get_setting(PUBLIC_KEY_SETTING).await?;
    let path = data_dir.join(ROOT_KEY_FILE);
    let shown = path.display().to_string();
    let (authority, origin, created) = match secret {
        Some(text) => (
            parse(text, "[workflows] root_key")?,
            "[workflows] root_key".to_string(),
            None,
        ),
        None => match std::fs::read_to_string(&path) {
            Ok(text) => (parse(&text, &shown)?, shown.clone(), None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(expected) = recorded.clone() {
                    return Err(RootKeyError::Missing {
                        path: shown,
                        expected,
                    });
                }
                let authority = WorkflowAuthority::generate();
                write_private(&path, authority.private_key_text().as_str())?;
                (authority, shown.clone(), Some(path.clone()))
            }
            Err(source) => {
                return Err(RootKeyError::Read {
                    path: shown,
                    source,
                })
            }
        },
    };
    let public = authority.public_key_text();
    match recorded {
        Some(expected) if expected != public => {
            return Err(RootKeyError::Mismatch {
                origin,
                expected,
                found: public,
            })
        }
        Some(_) => {}
        None => store.put_setting(PUBLIC_KEY_SETTING, &public).await?,
    }
    Ok((authority, created))
}

fn parse(text: &str, origin: &str) -> Result<WorkflowAuthority, RootKeyError> {
    WorkflowAuthority::from_private_key_text(text.trim()).map_err(|e| RootKeyError::Malformed {
        origin: origin.to_string(),
        reason: e.to_string(),
    })
}

fn write_private(path: &Path, text: &str) -> Result<(), RootKeyError> {
    use std::io::Write;
    let fail = |source| RootKeyError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    file.write_all(b"\n").map_err(fail)?;
    file.sync_all().map_err(fail)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[tokio::test]
    async fn created_once_then_reused_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_dir(&dir.path().join("data")).await.unwrap();
        let keys = dir.path().join("keys");
        let (first, created) = load_root_key(&store, &keys, None).await.unwrap();
        assert!(created.is_some());
        let (again, created) = load_root_key(&store, &keys, None).await.unwrap();
        assert!(created.is_none());
        assert_eq!(first.public_key_text(), again.public_key_text());

        let other = WorkflowAuthority::generate();
        match load_root_key(&store, &keys, Some(other.private_key_text().as_str())).await {
            Err(RootKeyError::Mismatch { .. }) => {}
            other => panic!("a different key must be refused, got {:?}", other.err()),
        }
        std::fs::remove_file(keys.join(ROOT_KEY_FILE)).unwrap();
        match load_root_key(&store, &keys, None).await {
            Err(RootKeyError::Missing { .. }) => {}
            other => panic!("a lost key file must be refused, got {:?}", other.err()),
        }
        let same = first.private_key_text();
        assert!(load_root_key(&store, &keys, Some(same.as_str()))
            .await
            .is_ok());
        match load_root_key(&store, &keys, Some("ed25519-private/zz")).await {
            Err(RootKeyError::Malformed { .. }) => {}
            other => panic!("garbage must be refused, got {:?}", other.err()),
        }
    }
}
