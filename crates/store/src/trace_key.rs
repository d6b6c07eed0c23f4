//! The deployment's trace signing key.
//!
//! Created on first start as `<data_dir>/trace-signing.key` (mode 0600,
//! `ed25519-secret:<64 hex>`); its public key is kept in the settings
//! (`trace_public_key`) so `behavry trace pubkey` can print it and later
//! starts can check the file still holds the same key. A start refuses to
//! sign with a key that is not the recorded one, and refuses to mint a new
//! key when one was recorded but its file is gone: checkpoints signed by
//! different keys would not verify as one trace.

use crate::{Store, StoreError};
use behavry_trace::{KeyError, TracePublicKey, TraceSigningKey};
use std::path::{Path, PathBuf};

/// File name of the signing key inside the data directory.
pub const TRACE_KEY_FILE: &str = "trace-signing.key";
/// Setting holding the public key text (`ed25519:<64 hex>`).
pub const TRACE_PUBLIC_KEY_SETTING: &str = "trace_public_key";

#[derive(Debug, thiserror::Error)]
pub enum TraceKeyError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot read the trace signing key {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the trace signing key {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the trace signing key {path} is malformed: {source}")]
    Malformed { path: String, source: KeyError },
    #[error("the stored trace public key is malformed: {0}")]
    MalformedPublic(KeyError),
    #[error(
        "the trace signing key {path} holds {found}, but this deployment's trace is signed by {expected}; restore the original key file"
    )]
    Mismatch {
        path: String,
        expected: String,
        found: String,
    },
    #[error(
        "the trace signing key {path} is missing, but this deployment's trace is signed by {expected}; restore the key file from a backup"
    )]
    Missing { path: String, expected: String },
}

/// Load the signing key, creating it on first start. Returns the key and,
/// when it was just created, the path it was written to.
pub async fn ensure_trace_key(
    store: &Store,
    data_dir: &Path,
) -> Result<(TraceSigningKey, Option<PathBuf>), TraceKeyError> {
    let path = data_dir.join(TRACE_KEY_FILE);
    let recorded = stored_public_key(store).await?.map(|k| k.to_string());
    let shown = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key =
                TraceSigningKey::from_text(&text).map_err(|source| TraceKeyError::Malformed {
                    path: shown.clone(),
                    source,
                })?;
            let found = key.public_key().to_string();
            match recorded {
                Some(expected) if expected != found => Err(TraceKeyError::Mismatch {
                    path: shown,
                    expected,
                    found,
                }),
                Some(_) => Ok((key, None)),
                None => {
                    store.put_setting(TRACE_PUBLIC_KEY_SETTING, &found).await?;
                    Ok((key, None))
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(expected) = recorded {
                return Err(TraceKeyError::Missing {
                    path: shown,
                    expected,
                });
            }
            let key = TraceSigningKey::from_seed(random_seed());
            write_private(&path, &key.to_text()).map_err(|source| TraceKeyError::Write {
                path: shown,
                source,
            })?;
            store
                .put_setting(TRACE_PUBLIC_KEY_SETTING, &key.public_key().to_string())
                .await?;
            Ok((key, Some(path)))
        }
        Err(source) => Err(TraceKeyError::Read {
            path: shown,
            source,
        }),
    }
}

/// The public key recorded in the settings, if a key was ever created.
pub async fn stored_public_key(store: &Store) -> Result<Option<TracePublicKey>, TraceKeyError> {
    match store.get_setting(TRACE_PUBLIC_KEY_SETTING).await? {
        None => Ok(None),
        Some(text) => TracePublicKey::parse(&text)
            .map(Some)
            .map_err(TraceKeyError::MalformedPublic),
    }
}

fn random_seed() -> [u8; 32] {
    use rand::RngCore;
    let mut seed = [0u8; 32];
    // ThreadRng is a CSPRNG reseeded from the operating system.
    rand::rng().fill_bytes(&mut seed);
    seed
}

/// Create `path` readable only by its owner; never overwrite.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn created_once_then_reloaded_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_dir(dir.path()).await.unwrap();
        let (key, created) = ensure_trace_key(&store, dir.path()).await.unwrap();
        let path = created.unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(
            stored_public_key(&store).await.unwrap(),
            Some(key.public_key())
        );
        let (again, created) = ensure_trace_key(&store, dir.path()).await.unwrap();
        assert_eq!(created, None);
        assert_eq!(again.public_key(), key.public_key());

        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            ensure_trace_key(&store, dir.path()).await,
            Err(TraceKeyError::Missing { .. })
        ));
        std::fs::write(&path, TraceSigningKey::from_seed([5; 32]).to_text()).unwrap();
        assert!(matches!(
            ensure_trace_key(&store, dir.path()).await,
            Err(TraceKeyError::Mismatch { .. })
        ));
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            ensure_trace_key(&store, dir.path()).await,
            Err(TraceKeyError::Malformed { .. })
        ));
    }
}
