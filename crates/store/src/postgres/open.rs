//! Connecting to PostgreSQL: connection settings, the pools, migrations and
//! the read-only mode.

use super::{trace_writer::TraceWriter, PostgresStore};
use crate::{Durability, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

/// Connections in the main pool unless [`PostgresSettings`] says otherwise.
/// The trace writer has one more connection of its own.
pub const DEFAULT_POOL_SIZE: u32 = 10;
/// Longest wait for a free pooled connection (or a new one) before an
/// operation fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
pub(super) static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How a [`PostgresStore`] connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresSettings {
    /// Connections in the main pool (at least 1).
    pub pool_size: u32,
    /// `Fsync` keeps the server's `synchronous_commit` (normally `on`);
    /// `OsBuffered` sets it to `off` for the store's sessions: a commit is
    /// acknowledged before the server has flushed it, so a crash of the
    /// database server can lose the latest commits.
    pub durability: Durability,
}

impl Default for PostgresSettings {
    fn default() -> Self {
        PostgresSettings {
            pool_size: DEFAULT_POOL_SIZE,
            durability: Durability::default(),
        }
    }
}

impl PostgresStore {
    /// Connect to a `postgres://` or `postgresql://` URL with the default
    /// settings and migrate the schema.
    pub async fn open_url(url: &str) -> Result<PostgresStore, StoreError> {
        Self::open_url_with(url, PostgresSettings::default()).await
    }

    /// `open_url` with explicit settings.
    pub async fn open_url_with(
        url: &str,
        settings: PostgresSettings,
    ) -> Result<PostgresStore, StoreError> {
        Self::connect_with(parse_url(url)?, settings).await
    }

    /// Connect with prepared options (for example a `search_path` set with
    /// [`PgConnectOptions::options`]) and migrate the schema.
    pub async fn connect_with(
        options: PgConnectOptions,
        settings: PostgresSettings,
    ) -> Result<PostgresStore, StoreError> {
        let options = match settings.durability {
            Durability::Fsync => options,
            Durability::OsBuffered => options.options([("synchronous_commit", "off")]),
        };
        let pool = pool(&options, settings.pool_size.max(1)).await?;
        migrate(&pool).await?;
        let writer_pool = pool_lazy(&options, 1);
        Ok(PostgresStore {
            pool,
            trace: TraceWriter::spawn(writer_pool),
        })
    }

    /// Connect to the database at `url` read-only: every session runs with
    /// `default_transaction_read_only = on`, no migration runs and trace
    /// appends are refused. Fails when the schema is not there.
    pub async fn open_url_read_only(url: &str) -> Result<PostgresStore, StoreError> {
        let options = parse_url(url)?.options([("default_transaction_read_only", "on")]);
        let pool = pool(&options, 2).await?;
        let schema = sqlx::query("SELECT seq, prev_hash, hash FROM trace_events LIMIT 0")
            .execute(&pool)
            .await;
        if schema.is_err() {
            return Err(StoreError::Unavailable(
                "the database has no behavry schema; run `behavry migrate` or start the gateway once"
                    .to_string(),
            ));
        }
        Ok(PostgresStore {
            pool,
            trace: TraceWriter::read_only(),
        })
    }

    /// Bring the schema at `url` up to date and disconnect. Safe to run
    /// beside running gateways and by several processes at once (the
    /// migrator holds an advisory lock).
    pub async fn migrate_url(url: &str) -> Result<(), StoreError> {
        let pool = pool(&parse_url(url)?, 1).await?;
        let migrated = migrate(&pool).await;
        pool.close().await;
        migrated
    }

    /// Close both pools.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Parse a `postgres://` / `postgresql://` URL. Errors never echo the URL
/// (it may hold a password).
pub(super) fn parse_url(url: &str) -> Result<PgConnectOptions, StoreError> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("postgres" | "postgresql")) {
        return Err(StoreError::Invalid(
            "postgres store url must start with postgres:// or postgresql://".to_string(),
        ));
    }
    PgConnectOptions::from_str(url)
        .map_err(|_| StoreError::Invalid("postgres store url is not valid".to_string()))
}

async fn pool(options: &PgConnectOptions, size: u32) -> Result<PgPool, StoreError> {
    PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options.clone())
        .await
        .map_err(|e| StoreError::db("could not connect to the postgres database", e))
}

fn pool_lazy(options: &PgConnectOptions, size: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_lazy_with(options.clone())
}

async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATIONS.run(pool).await.map_err(|e| {
        StoreError::Unavailable(format!("could not migrate the postgres database: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_without_echoing_them() {
        for good in [
            "postgres://u@127.0.0.1:5432/db",
            "postgresql://u:pw@db.example/behavry?sslmode=require",
            "postgres://u@h/db?options=-c%20search_path%3Dbehavry",
        ] {
            assert!(parse_url(good).is_ok(), "{good}");
        }
        for bad in [
            "sqlite://x.db",
            "postgres://u:s3cret@h:notaport/db",
            "mysql://u:s3cret@h/db",
        ] {
            match parse_url(bad) {
                Err(StoreError::Invalid(msg)) => assert!(!msg.contains("s3cret"), "{msg}"),
                other => panic!("{bad} must be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn migrations_mirror_the_sqlite_ones() {
        let sqlite: Vec<_> = crate::sqlite::MIGRATIONS
            .iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect();
        let postgres: Vec<_> = MIGRATIONS
            .iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect();
        assert_eq!(postgres, sqlite, "one postgres migration per sqlite one");
    }
}
