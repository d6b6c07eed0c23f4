//! Messages between the replicas of one deployment, over PostgreSQL
//! `LISTEN` / `NOTIFY`.
//!
//! The channel is named after the database and schema the store lives in,
//! so deployments sharing one server (in separate schemas) never hear each
//! other. A `NOTIFY` sent after a write has committed reaches every
//! listening session, the sender's own included. Notifications sent while
//! a listener is disconnected are lost: a subscriber must re-read whatever
//! it caches each time it (re)subscribes.

use super::open::parse_url;
use crate::StoreError;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::PgPool;
use std::time::Duration;

/// Longest wait for a connection before publishing or subscribing fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// PostgreSQL refuses `NOTIFY` payloads of 8000 bytes or more.
pub const MAX_PAYLOAD_BYTES: usize = 7999;

/// Publishes to, and subscribes to, one deployment's channel.
pub struct PgNotifyChannel {
    options: PgConnectOptions,
    publisher: PgPool,
    channel: String,
}

impl std::fmt::Debug for PgNotifyChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgNotifyChannel")
            .field("channel", &self.channel)
            .finish()
    }
}

/// One open subscription: a dedicated connection that has run `LISTEN`.
pub struct PgSubscription {
    listener: PgListener,
    pool: PgPool,
}

impl PgNotifyChannel {
    /// Connect to the database at `url` and name the deployment's channel
    /// (from `current_database()` and `current_schema()`).
    pub async fn connect(url: &str) -> Result<PgNotifyChannel, StoreError> {
        let options = parse_url(url)?;
        let publisher = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::db("could not connect to the postgres database", e))?;
        let (database, schema): (String, Option<String>) =
            sqlx::query_as("SELECT current_database()::text, current_schema()::text")
                .fetch_one(&publisher)
                .await
                .map_err(|e| StoreError::db("could not read the current schema", e))?;
        Ok(PgNotifyChannel {
            options,
            publisher,
            channel: channel_name(&database, schema.as_deref().unwrap_or("")),
        })
    }

    /// The channel's name (`behavry_` and a digest of database and schema).
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// Send `payload` to every subscriber. Call it after the write it
    /// announces has committed.
    pub async fn publish(&self, payload: &str) -> Result<(), StoreError> {
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(StoreError::Invalid(format!(
                "coordination message of {} bytes is too long",
                payload.len()
            )));
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&self.channel)
            .bind(payload)
            .execute(&self.publisher)
            .await
            .map_err(|e| StoreError::db("could not publish a coordination message", e))?;
        Ok(())
    }

    /// Open a subscription on a connection of its own. Nothing sent before
    /// this returns is delivered to it.
    pub async fn subscribe(&self) -> Result<PgSubscription, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(self.options.clone())
            .await
            .map_err(|e| StoreError::db("could not connect the coordination listener", e))?;
        let mut listener = PgListener::connect_with(&pool)
            .await
            .map_err(|e| StoreError::db("could not connect the coordination listener", e))?;
        listener.eager_reconnect(false);
        listener
            .listen(&self.channel)
            .await
            .map_err(|e| StoreError::db("could not listen on the coordination channel", e))?;
        Ok(PgSubscription { listener, pool })
    }
}

impl PgSubscription {
    /// The next message. An error means the connection was lost and
    /// messages may have been missed: drop this subscription and open a
    /// new one.
    pub async fn next(&mut self) -> Result<String, StoreError> {
        match self.listener.try_recv().await {
            Ok(Some(n)) => Ok(n.payload().to_string()),
            Ok(None) => Err(StoreError::Unavailable(
                "the coordination listener lost its connection".to_string(),
            )),
            Err(e) => Err(StoreError::db("the coordination listener failed", e)),
        }
    }
}

impl Drop for PgSubscription {
    fn drop(&mut self) {
        let pool = self.pool.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move { pool.close().await });
        }
    }
}

/// `behavry_` and the first 16 hex digits of SHA-256 over database and
/// schema: a valid identifier whatever their names.
fn channel_name(database: &str, schema: &str) -> String {
    let digest = Sha256::digest(format!("{database}\0{schema}").as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("behavry_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_separate_schemas_and_are_identifiers() {
        let a = channel_name("test", "public");
        let b = channel_name("test", "replica_a");
        let c = channel_name("other", "public");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, channel_name("test", "public"));
        for name in [a, b, c] {
            assert!(name.len() < 64, "{name}");
            assert!(name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'));
        }
    }
}
