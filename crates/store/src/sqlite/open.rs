//! Opening the SQLite database: private data directory, connection
//! settings, migrations, and the trace writer's dedicated connection.

use super::{trace_writer::TraceWriter, SqliteStore, DB_FILE_NAME};
use crate::Durability;
use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const POOL_SIZE: u32 = 4;
pub(crate) static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

impl SqliteStore {
    /// Open (creating if missing) `behavry.db` in `data_dir`, creating the
    /// directory with mode 0700 if it does not exist, and run migrations.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_durable(data_dir, Durability::default()).await
    }

    /// `open` with an explicit commit durability (see [`Durability`]).
    pub async fn open_durable(
        data_dir: &Path,
        durability: Durability,
    ) -> Result<SqliteStore, StoreError> {
        create_private_dir(data_dir)?;
        let db_path = data_dir.join(DB_FILE_NAME);
        create_private_file(&db_path)?;
        let options = SqliteConnectOptions::new().filename(&db_path);
        Self::open_with(options, durability).await
    }

    /// Open from a `sqlite://<path>` URL (query options such as `?mode=`
    /// are honoured). In-memory databases are refused: the trace must be
    /// durable.
    pub async fn open_url(url: &str) -> Result<SqliteStore, StoreError> {
        Self::open_url_durable(url, Durability::default()).await
    }

    /// `open_url` with an explicit commit durability.
    pub async fn open_url_durable(
        url: &str,
        durability: Durability,
    ) -> Result<SqliteStore, StoreError> {
        let rest = url.strip_prefix("sqlite://").ok_or_else(|| {
            StoreError::Invalid("sqlite store url must start with sqlite://".to_string())
        })?;
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path.contains(":memory:") || rest.contains("mode=memory") {
            return Err(StoreError::Invalid(
                "sqlite store url must name a database file; in-memory databases are not durable"
                    .to_string(),
            ));
        }
        if let Some(parent) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            create_private_dir(parent)?;
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("sqlite store url is not valid: {e}")))?;
        Self::open_with(options, durability).await
    }

    async fn open_with(
        options: SqliteConnectOptions,
        durability: Durability,
    ) -> Result<SqliteStore, StoreError> {
        let synchronous = match durability {
            Durability::Fsync => SqliteSynchronous::Full,
            Durability::OsBuffered => SqliteSynchronous::Normal,
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::db("could not open the sqlite database", e))?;
        MIGRATIONS.run(&pool).await.map_err(|e| {
            StoreError::Unavailable(format!("could not migrate the sqlite database: {e}"))
        })?;
        let mut writer_conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .map_err(|e| StoreError::db("could not open the trace writer connection", e))?;
        let chained = super::trace_upgrade::chain_unchained_rows(&mut writer_conn).await?;
        if chained > 0 {
            tracing::info!(
                records = chained,
                "chained decision trace records written before the hash chain"
            );
        }
        let head = super::trace_writer::load_head(&mut writer_conn).await?;
        Ok(SqliteStore {
            pool,
            trace: TraceWriter::spawn(writer_conn, head),
        })
    }

    /// Close the pool. The trace writer stops once the store is dropped.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        StoreError::Unavailable(format!(
            "could not create data directory {}: {e}",
            dir.display()
        ))
    })
}

/// Pre-create the database file readable only by its owner; SQLite gives
/// the `-wal` and `-shm` files the same permissions.
fn create_private_file(path: &PathBuf) -> Result<(), StoreError> {
    if path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Unavailable(format!(
            "could not create database file {}: {e}",
            path.display()
        ))),
    }
}
