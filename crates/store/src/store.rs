//! [`Store`]: the cheap-to-clone handle callers hold, and backend selection
//! from a URL.

use crate::{SqliteStore, StoreBackend, StoreError};
use std::path::Path;
use std::sync::Arc;

/// Shared handle to a storage backend. Cloning is an `Arc` clone; all
/// [`StoreBackend`] methods are reachable through `Deref`.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn StoreBackend>,
}

impl Store {
    pub fn new(backend: Arc<dyn StoreBackend>) -> Self {
        Store { backend }
    }

    pub fn from_backend(backend: impl StoreBackend + 'static) -> Self {
        Store {
            backend: Arc::new(backend),
        }
    }

    /// Open the default embedded SQLite store in `data_dir`.
    pub async fn open_dir(data_dir: &Path) -> Result<Store, StoreError> {
        Ok(Store::from_backend(SqliteStore::open(data_dir).await?))
    }

    /// Open a store from a URL: `sqlite://<path-to-db-file>` (created if
    /// missing). `postgres://` is recognised but not available in this build.
    pub async fn open_url(url: &str) -> Result<Store, StoreError> {
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => Ok(Store::from_backend(SqliteStore::open_url(url).await?)),
            Some("postgres") | Some("postgresql") => Err(StoreError::Unavailable(
                "postgresql storage is not available in this build yet; use a sqlite:// url"
                    .to_string(),
            )),
            Some(other) => Err(StoreError::Invalid(format!(
                "unsupported store url scheme `{other}`; expected sqlite://"
            ))),
            None => Err(StoreError::Invalid(
                "store url must look like sqlite://<path>".to_string(),
            )),
        }
    }

    pub fn backend(&self) -> &Arc<dyn StoreBackend> {
        &self.backend
    }
}

impl std::ops::Deref for Store {
    type Target = dyn StoreBackend;

    fn deref(&self) -> &Self::Target {
        self.backend.as_ref()
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}
