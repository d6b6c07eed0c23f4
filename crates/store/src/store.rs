//! [`Store`]: the cheap-to-clone handle callers hold, and backend selection
//! from a URL.

use crate::{PostgresSettings, PostgresStore, SqliteStore, StoreBackend, StoreError};
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
        Self::open_dir_durable(data_dir, Durability::default()).await
    }

    /// `open_dir` with an explicit commit durability.
    pub async fn open_dir_durable(
        data_dir: &Path,
        durability: Durability,
    ) -> Result<Store, StoreError> {
        Ok(Store::from_backend(
            SqliteStore::open_durable(data_dir, durability).await?,
        ))
    }

    /// Open a store from a URL: `sqlite://<path-to-db-file>` (created if
    /// missing) or `postgres://...` / `postgresql://...` (the database must
    /// exist; the schema is migrated on open). Errors never echo the URL.
    pub async fn open_url(url: &str) -> Result<Store, StoreError> {
        Self::open_url_durable(url, Durability::default()).await
    }

    /// `open_url` with an explicit commit durability.
    pub async fn open_url_durable(url: &str, durability: Durability) -> Result<Store, StoreError> {
        match StoreKind::of(url)? {
            StoreKind::Sqlite => Ok(Store::from_backend(
                SqliteStore::open_url_durable(url, durability).await?,
            )),
            StoreKind::Postgres => {
                let settings = PostgresSettings {
                    durability,
                    ..PostgresSettings::default()
                };
                Ok(Store::from_backend(
                    PostgresStore::open_url_with(url, settings).await?,
                ))
            }
        }
    }

    /// Bring the schema of the store at `url` up to date without opening
    /// it for use (`behavry migrate`). Opening a store migrates it too;
    /// this lets an operator migrate before rolling out new replicas.
    pub async fn migrate_url(url: &str) -> Result<(), StoreError> {
        match StoreKind::of(url)? {
            StoreKind::Sqlite => SqliteStore::open_url(url).await?.close().await,
            StoreKind::Postgres => PostgresStore::migrate_url(url).await?,
        }
        Ok(())
    }

    /// Open an existing store for reading only (verification, proofs):
    /// `url` when given, else `behavry.db` in `data_dir`. Nothing is
    /// created or migrated and every write fails (PostgreSQL sessions run
    /// with `default_transaction_read_only`).
    pub async fn open_read_only(data_dir: &Path, url: Option<&str>) -> Result<Store, StoreError> {
        match url {
            None => Ok(Store::from_backend(
                SqliteStore::open_read_only(data_dir).await?,
            )),
            Some(url) => match StoreKind::of(url)? {
                StoreKind::Sqlite => Ok(Store::from_backend(
                    SqliteStore::open_url_read_only(url).await?,
                )),
                StoreKind::Postgres => Ok(Store::from_backend(
                    PostgresStore::open_url_read_only(url).await?,
                )),
            },
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

/// The backend a store URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    Sqlite,
    Postgres,
}

impl StoreKind {
    fn of(url: &str) -> Result<StoreKind, StoreError> {
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => Ok(StoreKind::Sqlite),
            Some("postgres") | Some("postgresql") => Ok(StoreKind::Postgres),
            Some(other) => Err(StoreError::Invalid(format!(
                "unsupported store url scheme `{other}`; expected sqlite:// or postgres://"
            ))),
            None => Err(StoreError::Invalid(
                "store url must look like sqlite://<path> or postgres://<host>/<database>"
                    .to_string(),
            )),
        }
    }
}

/// When a committed write (above all a trace append) counts as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every commit is synced to disk before it is acknowledged
    /// (`synchronous=FULL`; with PostgreSQL the server's
    /// `synchronous_commit`, normally `on`): a recorded decision survives a
    /// power loss.
    #[default]
    Fsync,
    /// Commits are acknowledged once written to the operating system
    /// (`synchronous=NORMAL` in WAL mode): a recorded decision survives a
    /// crash of the gateway process, but the latest commits can be lost if the
    /// machine itself loses power (with PostgreSQL, `synchronous_commit =
    /// off`: the latest commits can be lost if the database server crashes).
    /// Lower latency per call.
    OsBuffered,
}
