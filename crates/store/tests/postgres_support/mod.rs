//! A private schema per test in the test PostgreSQL database.
#![allow(dead_code, reason = "each test crate uses a different part")]

use behavry_core::{AgentId, CallKind, DecisionId};
use behavry_store::{NewAgent, NewApproval};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::future::Future;
use std::str::FromStr;
use time::{Duration, OffsetDateTime};

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The database under test: `BEHAVRY_TEST_POSTGRES_URL` or [`DEFAULT_URL`].
pub fn base_url() -> String {
    std::env::var("BEHAVRY_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// A fresh schema: `url` opens stores whose every connection uses it.
#[derive(Debug, Clone)]
pub struct TestSchema {
    pub name: String,
    pub url: String,
    base: String,
}

impl TestSchema {
    /// A pool on the test schema beside the store, for inspecting tables.
    pub async fn side(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(2)
            .connect_with(
                PgConnectOptions::from_str(&self.base)
                    .unwrap()
                    .options([("search_path", &self.name)]),
            )
            .await
            .unwrap()
    }
}

async fn admin_pool(base: &str) -> PgPool {
    let options = PgConnectOptions::from_str(base)
        .unwrap_or_else(|e| panic!("BEHAVRY_TEST_POSTGRES_URL is not a valid url: {e}"));
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with(options)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {base} ({e}). These tests need a running \
                 PostgreSQL with trust authentication and the database `test`; set \
                 BEHAVRY_TEST_POSTGRES_URL to use another."
            )
        })
}

/// Run `test` against a new schema with a random name, then drop the
/// schema, whether the test passed or panicked (the panic is re-raised).
pub async fn with_schema<F, Fut>(test: F)
where
    F: FnOnce(TestSchema) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let base = base_url();
    let admin = admin_pool(&base).await;
    let name = format!("behavry_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {name}"))
        .execute(&admin)
        .await
        .unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    let schema = TestSchema {
        url: format!("{base}{separator}options=-c%20search_path%3D{name}"),
        name: name.clone(),
        base,
    };
    let outcome = tokio::spawn(test(schema)).await;
    sqlx::query(&format!("DROP SCHEMA {name} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

pub fn new_agent(name: &str) -> NewAgent {
    NewAgent {
        name: name.to_string(),
        role: "writer".into(),
        labels: Default::default(),
        owner: None,
        credential_hash: behavry_store::conformance::fresh_credential_hash(),
    }
}

pub fn new_approval() -> NewApproval {
    let now = OffsetDateTime::now_utc();
    NewApproval {
        decision_id: DecisionId(uuid::Uuid::new_v4().to_string()),
        agent_id: AgentId("agent-1".into()),
        agent_name: "agent".into(),
        agent_owner: None,
        method: CallKind::ToolsCall,
        upstream: "db".into(),
        tool: "query".into(),
        arguments: serde_json::json!({"sql": "delete from t"}),
        call_hash: "h".into(),
        rule: behavry_core::ApprovalRule::fallback(300),
        context: serde_json::Value::Null,
        reasons: vec![],
        created_at: now,
        expires_at: now + Duration::minutes(5),
    }
}
