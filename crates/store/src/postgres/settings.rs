//! Key/value settings (for example the admin token hash). Values are never
//! logged or echoed in errors.

use crate::StoreError;
use sqlx::PgPool;

pub(super) async fn get(pool: &PgPool, key: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(|e| StoreError::db(&format!("could not read setting `{key}`"), e))
}

pub(super) async fn put(pool: &PgPool, key: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(pool)
        .await
        .map_err(|e| StoreError::db(&format!("could not write setting `{key}`"), e))?;
    Ok(())
}
