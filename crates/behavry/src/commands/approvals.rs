//! `behavry approvals list|show|approve|deny` through the admin API.

use super::agent::s;
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
    /// Show one approval with its arguments and reasons.
    Show { id: String },
    /// Approve a held call; it is forwarded at once.
    Approve {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject a held call; the agent receives the reason.
    Deny {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

pub async fn run(ctx: &super::Context, cmd: ApprovalsCommand) -> anyhow::Result<ExitCode> {
    let admin = ctx.admin()?;
    match cmd {
        ApprovalsCommand::List { status } => {
            let out = admin.get(&format!("/v1/approvals?status={status}")).await?;
            println!("{:<38} {:<9} {:<18} CALL", "ID", "STATUS", "AGENT");
            for a in out
                .get("approvals")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                println!(
                    "{:<38} {:<9} {:<18} {}.{}",
                    s(a, "id"),
                    s(a, "status"),
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
        ApprovalsCommand::Approve { id, reason } => {
            let out = admin
                .post(
                    &format!("/v1/approvals/{id}/approve"),
                    json!({"reason": reason}),
                )
                .await?;
            println!(
                "approval {} is {}",
                id,
                s(out.get("approval").unwrap_or(&out), "status")
            );
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
    }
    Ok(ExitCode::SUCCESS)
}
