//! Opening an existing database for reading only, as `behavry trace verify`
//! and `behavry trace prove` do: no directory or file is created, no
//! migration runs, the journal mode is left as it is and every write
//! (trace appends included) fails. Safe beside a running gateway.

use super::{trace_writer::TraceWriter, SqliteStore, DB_FILE_NAME};
use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

impl SqliteStore {
    /// Open `behavry.db` in `data_dir` read-only.
    pub async fn open_read_only(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        let db_path = data_dir.join(DB_FILE_NAME);
        if !db_path.is_file() {
            return Err(StoreError::NotFound(format!(
                "no database at {}",
                db_path.display()
            )));
        }
        Self::open_read_only_with(SqliteConnectOptions::new().filename(&db_path)).await
    }

    /// Open the database a `sqlite://<path>` URL names, read-only.
    pub async fn open_url_read_only(url: &str) -> Result<SqliteStore, StoreError> {
        if !url.starts_with("sqlite://") {
            return Err(StoreError::Invalid(
                "sqlite store url must start with sqlite://".to_string(),
            ));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("sqlite store url is not valid: {e}")))?;
        Self::open_read_only_with(options).await
    }

    async fn open_read_only_with(options: SqliteConnectOptions) -> Result<SqliteStore, StoreError> {
        let options = options
            .read_only(true)
            .create_if_missing(false)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::db("could not open the sqlite database", e))?;
        let chained = sqlx::query("SELECT prev_hash, hash FROM trace_events LIMIT 0")
            .execute(&pool)
            .await;
        if chained.is_err() {
            return Err(StoreError::Unavailable(
                "the database predates the trace hash chain; start the gateway once to upgrade it"
                    .to_string(),
            ));
        }
        Ok(SqliteStore {
            pool,
            trace: TraceWriter::read_only(),
        })
    }
}
