//! `behavry agent create|list|revoke|rotate` through the admin API.

use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum AgentCommand {
    /// Register an agent and print its credential (shown only once).
    Create {
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        owner: Option<String>,
        /// Label as KEY=VALUE; repeatable.
        #[arg(long = "label", value_parser = parse_label)]
        labels: Vec<(String, String)>,
    },
    /// List agents.
    List,
    /// Revoke an agent: its credential stops working at once.
    Revoke { name: String },
    /// Issue a new credential for an agent; the old one stops working.
    Rotate { name: String },
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| "labels are KEY=VALUE".to_string())
}

pub async fn run(ctx: &super::Context, cmd: AgentCommand) -> anyhow::Result<ExitCode> {
    let admin = ctx.admin()?;
    match cmd {
        AgentCommand::Create {
            name,
            role,
            owner,
            labels,
        } => {
            let labels: serde_json::Map<String, Value> = labels
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            let out = admin
                .post(
                    "/v1/agents",
                    json!({"name": name, "role": role, "owner": owner, "labels": labels}),
                )
                .await?;
            print_credential(&out);
        }
        AgentCommand::List => {
            let out = admin.get("/v1/agents").await?;
            println!("{:<24} {:<12} {:<10} ID", "NAME", "ROLE", "STATUS");
            for a in out
                .get("agents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let status = if a.get("revoked").and_then(Value::as_bool).unwrap_or(false) {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<24} {:<12} {:<10} {}",
                    s(a, "name"),
                    s(a, "role"),
                    status,
                    s(a, "id")
                );
            }
        }
        AgentCommand::Revoke { name } => {
            admin
                .post(&format!("/v1/agents/{name}/revoke"), json!({}))
                .await?;
            println!("agent {name} revoked");
        }
        AgentCommand::Rotate { name } => {
            let out = admin
                .post(&format!("/v1/agents/{name}/rotate"), json!({}))
                .await?;
            print_credential(&out);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_credential(out: &Value) {
    let agent = out.get("agent").cloned().unwrap_or(Value::Null);
    println!(
        "agent:      {} (role {}, id {})",
        s(&agent, "name"),
        s(&agent, "role"),
        s(&agent, "id")
    );
    println!(
        "credential: {}",
        out.get("credential").and_then(Value::as_str).unwrap_or("")
    );
    eprintln!("store the credential now: it is not shown again");
}

pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}
