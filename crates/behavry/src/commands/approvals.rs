//! `behavry approvals list|show|approve|deny|grants|revoke-grant` through
//! the admin API.

use super::agent::s;
use anyhow::Context as _;
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum ApprovalsCommand {
    /// List approvals (pending by default).
    List {
        /// pending, approved, rejected, expired or all.
        #[arg(long, default_value = "pending")]
        status: String,
    },
    /// Show one approval with its arguments, reasons, rule and votes.
    Show { id: String },
    /// Approve a held call (one vote under an N-of-M rule).
    Approve {
        id: String,
        #[arg(long)]
        reason: Option<String>,
        /// Also pre-approve this agent's later calls to the same tool for
        /// this many seconds.
        #[arg(long, value_name = "SECS")]
        scope_ttl: Option<u64>,
        /// With --scope-ttl: only calls whose canonical JSON arguments
        /// match this regex.
        #[arg(long, requires = "scope_ttl")]
        pattern: Option<String>,
        /// Forward these arguments (a JSON object) instead; policy is
        /// evaluated again on the edited call.
        #[arg(long, value_name = "JSON")]
        arguments: Option<String>,
    },
    /// Reject a held call; the agent receives the reason.
    Deny {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// List active scoped grants.
    Grants,
    /// Revoke a scoped grant.
    RevokeGrant { id: String },
}

pub async fn run(ctx: &super::Context, cmd: ApprovalsCommand) -> anyhow::Result<ExitCode> {
    let admin = ctx.admin()?;
    match cmd {
        ApprovalsCommand::List { status } => {
            let out = admin.get(&format!("/v1/approvals?status={status}")).await?;
            println!(
                "{:<38} {:<9} {:<7} {:<18} CALL",
                "ID", "STATUS", "VOTES", "AGENT"
            );
            for a in list(&out, "approvals") {
                let votes = format!(
                    "{}/{}",
                    a.get("approvals_count")
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                    a.pointer("/rule/required_approvals")
                        .and_then(Value::as_u64)
                        .unwrap_or(1)
                );
                println!(
                    "{:<38} {:<9} {:<7} {:<18} {}.{}",
                    s(a, "id"),
                    s(a, "status"),
                    votes,
                    s(a, "agent_name"),
                    s(a, "upstream"),
                    s(a, "tool")
                );
            }
        }
        ApprovalsCommand::Show { id } => {
            let out = admin.get(&format!("/v1/approvals/{id}")).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(out.get("approval").unwrap_or(&out))?
            );
        }
        ApprovalsCommand::Approve {
            id,
            reason,
            scope_ttl,
            pattern,
            arguments,
        } => {
            let arguments: Option<Value> = arguments
                .map(|a| serde_json::from_str(&a).context("--arguments is not valid JSON"))
                .transpose()?;
            let scope = scope_ttl.map(|ttl| json!({"ttl_secs": ttl, "argument_pattern": pattern}));
            let out = admin
                .post(
                    &format!("/v1/approvals/{id}/approve"),
                    json!({"reason": reason, "scope": scope, "arguments": arguments}),
                )
                .await?;
            println!(
                "approval {id}: {}",
                out.get("outcome")
                    .and_then(Value::as_str)
                    .unwrap_or("recorded")
            );
            if let Some(grant) = out.get("grant").filter(|g| !g.is_null()) {
                println!("grant {} until {}", s(grant, "id"), s(grant, "expires_at"));
            }
        }
        ApprovalsCommand::Deny { id, reason } => {
            let out = admin
                .post(
                    &format!("/v1/approvals/{id}/deny"),
                    json!({"reason": reason}),
                )
                .await?;
            println!(
                "approval {} is {}",
                id,
                s(out.get("approval").unwrap_or(&out), "status")
            );
        }
        ApprovalsCommand::Grants => {
            let out = admin.get("/v1/grants").await?;
            println!(
                "{:<38} {:<18} {:<28} {:<26} PATTERN",
                "ID", "AGENT", "CALL", "EXPIRES"
            );
            for g in list(&out, "grants") {
                println!(
                    "{:<38} {:<18} {:<28} {:<26} {}",
                    s(g, "id"),
                    s(g, "agent_name"),
                    format!("{}.{}", s(g, "upstream"), s(g, "tool")),
                    s(g, "expires_at"),
                    g.get("argument_pattern")
                        .and_then(Value::as_str)
                        .unwrap_or("(any)")
                );
            }
        }
        ApprovalsCommand::RevokeGrant { id } => {
            admin.delete(&format!("/v1/grants/{id}")).await?;
            println!("grant {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list<'a>(out: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    out.get(key).and_then(Value::as_array).into_iter().flatten()
}
