//! The `database` profile: a SQLite sample shop database with `query`,
//! `list_tables` and `describe_table`.
//!
//! Invariants: the database file is created once, from the embedded seed,
//! under a temporary name and renamed into place, so a crash never leaves a
//! half-seeded `demo.db`; `query` returns at most `MAX_ROWS` rows and reports
//! SQL failures as tool errors, never as protocol errors.

use std::path::Path;
use std::str::FromStr;

use futures::TryStreamExt;
use serde_json::{json, Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{Column, Either, Executor, Row, TypeInfo, ValueRef};

use super::{required_str, unknown_tool, ToolOutput};
use crate::rpc::RpcError;

const SEED_SQL: &str = include_str!("seed.sql");
const DATABASE_FILE: &str = "demo.db";
pub const MAX_ROWS: usize = 500;

pub struct Database {
    pool: SqlitePool,
}

impl Database {
    pub async fn open(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(DATABASE_FILE);
        if !path.exists() {
            seed(data_dir, &path).await?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(&path)
            .create_if_missing(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    pub async fn call(
        &self,
        name: &str,
        arguments: &Map<String, Value>,
    ) -> Result<ToolOutput, RpcError> {
        match name {
            "query" => {
                let sql = required_str(arguments, "sql")?;
                Ok(self.query(sql).await)
            }
            "list_tables" => Ok(self.list_tables().await),
            "describe_table" => {
                let table = required_str(arguments, "table")?;
                Ok(self.describe_table(table).await)
            }
            other => Err(unknown_tool(other)),
        }
    }

    async fn query(&self, sql: &str) -> ToolOutput {
        if sql.trim().is_empty() {
            return ToolOutput::error("sql must not be empty");
        }
        let mut stream = sqlx::raw_sql(sql).fetch_many(&self.pool);
        let mut columns: Vec<String> = Vec::new();
        let mut rows: Vec<Value> = Vec::new();
        let mut rows_affected: u64 = 0;
        let mut truncated = false;
        loop {
            match stream.try_next().await {
                Ok(Some(Either::Left(done))) => rows_affected += done.rows_affected(),
                Ok(Some(Either::Right(row))) => {
                    if columns.is_empty() {
                        columns = row
                            .columns()
                            .iter()
                            .map(|column| column.name().to_owned())
                            .collect();
                    }
                    if rows.len() < MAX_ROWS {
                        rows.push(row_to_json(&row));
                    } else {
                        truncated = true;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    return ToolOutput::error(format!("sql error: {}", sql_error_message(&error)))
                }
            }
        }
        drop(stream);
        if columns.is_empty() {
            columns = self.statement_columns(sql).await;
        }
        let row_count = rows.len();
        let mut output = json!({ "columns": columns, "rows": rows, "row_count": row_count });
        if let Some(object) = output.as_object_mut() {
            object.insert("rows_affected".to_owned(), json!(rows_affected));
            object.insert("truncated".to_owned(), json!(truncated));
        }
        ToolOutput::structured(output)
    }

    /// Column names of a statement that produced no rows (best effort).
    async fn statement_columns(&self, sql: &str) -> Vec<String> {
        match self.pool.prepare(sql).await {
            Ok(statement) => sqlx::Statement::columns(&statement)
                .iter()
                .map(|column| column.name().to_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    async fn list_tables(&self) -> ToolOutput {
        let result = sqlx::query_scalar::<_, String>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await;
        match result {
            Ok(tables) => ToolOutput::structured(json!({ "tables": tables })),
            Err(error) => ToolOutput::error(format!("sql error: {}", sql_error_message(&error))),
        }
    }

    async fn describe_table(&self, table: &str) -> ToolOutput {
        let result = sqlx::query(
            "SELECT name, type, \"notnull\", pk, dflt_value FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(table)
        .fetch_all(&self.pool)
        .await;
        let rows = match result {
            Ok(rows) => rows,
            Err(error) => {
                return ToolOutput::error(format!("sql error: {}", sql_error_message(&error)))
            }
        };
        if rows.is_empty() {
            return ToolOutput::error(format!("no such table: {table}"));
        }
        let columns: Vec<Value> = rows
            .iter()
            .map(|row| {
                json!({
                    "name": row.try_get::<String, _>("name").unwrap_or_default(),
                    "type": row.try_get::<String, _>("type").unwrap_or_default(),
                    "nullable": row.try_get::<i64, _>("notnull").unwrap_or(0) == 0,
                    "primary_key": row.try_get::<i64, _>("pk").unwrap_or(0) > 0,
                    "default": row.try_get::<Option<String>, _>("dflt_value").unwrap_or(None),
                })
            })
            .collect();
        ToolOutput::structured(json!({ "table": table, "columns": columns }))
    }
}

async fn seed(data_dir: &Path, final_path: &Path) -> anyhow::Result<()> {
    let staging = data_dir.join(format!("{DATABASE_FILE}.seeding-{}", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(&staging)
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::raw_sql(SEED_SQL).execute(&pool).await?;
    pool.close().await;
    std::fs::rename(&staging, final_path)?;
    Ok(())
}

fn row_to_json(row: &SqliteRow) -> Value {
    let mut object = Map::new();
    for (index, column) in row.columns().iter().enumerate() {
        object.insert(column.name().to_owned(), cell_to_json(row, index));
    }
    Value::Object(object)
}

fn cell_to_json(row: &SqliteRow, index: usize) -> Value {
    let type_name = match row.try_get_raw(index) {
        Ok(raw) if raw.is_null() => return Value::Null,
        Ok(raw) => raw.type_info().name().to_owned(),
        Err(_) => return Value::Null,
    };
    match type_name.as_str() {
        "INTEGER" | "BOOLEAN" => row
            .try_get::<i64, _>(index)
            .map(Value::from)
            .unwrap_or(Value::Null),
        "REAL" | "NUMERIC" => row
            .try_get::<f64, _>(index)
            .map(Value::from)
            .unwrap_or(Value::Null),
        "BLOB" => row
            .try_get::<Vec<u8>, _>(index)
            .map(|bytes| Value::from(format!("<{} bytes>", bytes.len())))
            .unwrap_or(Value::Null),
        _ => row
            .try_get::<String, _>(index)
            .map(Value::from)
            .unwrap_or(Value::Null),
    }
}

fn sql_error_message(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(database_error) => database_error.message().to_owned(),
        other => other.to_string(),
    }
}

pub fn tool_definitions() -> Value {
    json!([
        {
            "name": "query",
            "title": "Run SQL",
            "description": "Run one SQL statement (read or write) against the shop database (tables: customers, orders, products) and return the resulting rows.",
            "inputSchema": {
                "type": "object",
                "properties": { "sql": { "type": "string", "description": "The SQLite SQL statement to run." } },
                "required": ["sql"],
                "additionalProperties": false
            },
            "outputSchema": {
                "type": "object",
                "properties": {
                    "columns": { "type": "array", "items": { "type": "string" } },
                    "rows": { "type": "array", "items": { "type": "object" } },
                    "row_count": { "type": "integer" },
                    "rows_affected": { "type": "integer" },
                    "truncated": { "type": "boolean" }
                },
                "required": ["columns", "rows", "row_count"]
            }
        },
        {
            "name": "list_tables",
            "title": "List tables",
            "description": "List the tables of the shop database.",
            "inputSchema": { "type": "object", "properties": {}, "additionalProperties": false },
            "annotations": { "readOnlyHint": true }
        },
        {
            "name": "describe_table",
            "title": "Describe table",
            "description": "Describe the columns of one table: name, type, nullability, primary key and default.",
            "inputSchema": {
                "type": "object",
                "properties": { "table": { "type": "string", "description": "The table name." } },
                "required": ["table"],
                "additionalProperties": false
            },
            "annotations": { "readOnlyHint": true }
        }
    ])
}
