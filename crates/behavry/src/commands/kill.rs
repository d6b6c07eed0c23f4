//! `behavry kill ...` and `behavry unkill ...`: engage, list and release
//! kill switches through the admin API.

use super::agent::s;
use anyhow::bail;
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct KillArgs {
    /// Stop every call of every agent.
    #[arg(long, conflicts_with_all = ["agent", "workflow", "upstream", "tool", "list"])]
    global: bool,
    /// Stop one agent (by name).
    #[arg(long)]
    agent: Option<String>,
    /// Stop one workflow (by id).
    #[arg(long)]
    workflow: Option<String>,
    /// Stop every call to one upstream.
    #[arg(long)]
    upstream: Option<String>,
    /// Stop one tool: `upstream.tool`, `*` allowed.
    #[arg(long)]
    tool: Option<String>,
    /// Why (recorded in the trace).
    #[arg(long, required_unless_present = "list")]
    reason: Option<String>,
    /// List engaged kill switches instead.
    #[arg(long)]
    list: bool,
}

#[derive(clap::Args)]
pub struct UnkillArgs {
    /// The kill switch id (see `behavry kill --list`).
    id: String,
}

pub async fn kill(ctx: &super::Context, args: KillArgs) -> anyhow::Result<ExitCode> {
    let admin = ctx.admin()?;
    if args.list {
        let out = admin.get("/v1/kill").await?;
        println!(
            "{:<38} {:<9} {:<24} {:<12} REASON",
            "ID", "SCOPE", "TARGET", "BY"
        );
        for k in out
            .get("switches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            println!(
                "{:<38} {:<9} {:<24} {:<12} {}",
                s(k, "id"),
                s(k, "scope"),
                k.get("target")
                    .and_then(Value::as_str)
                    .unwrap_or("(everything)"),
                s(k, "engaged_by"),
                s(k, "reason")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let scopes = [
        ("agent", args.agent),
        ("workflow", args.workflow),
        ("upstream", args.upstream),
        ("tool", args.tool),
    ];
    let mut chosen: Vec<(&str, String)> = scopes
        .into_iter()
        .filter_map(|(scope, target)| target.map(|t| (scope, t)))
        .collect();
    let (scope, target) = match (args.global, chosen.len()) {
        (true, 0) => ("global", None),
        (false, 1) => {
            let (scope, target) = chosen.remove(0);
            (scope, Some(target))
        }
        _ => bail!("name exactly one of --global, --agent, --workflow, --upstream or --tool"),
    };
    let out = admin
        .post(
            "/v1/kill",
            json!({"scope": scope, "target": target, "reason": args.reason}),
        )
        .await?;
    let switch = out.get("switch").unwrap_or(&out);
    println!(
        "kill switch {} engaged ({scope}{}); {} pending approvals rejected, {} held calls aborted",
        s(switch, "id"),
        target.map(|t| format!(" {t}")).unwrap_or_default(),
        out.get("rejected_approvals")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        out.get("aborted_calls")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn unkill(ctx: &super::Context, args: UnkillArgs) -> anyhow::Result<ExitCode> {
    let out = ctx
        .admin()?
        .delete(&format!("/v1/kill/{}", args.id))
        .await?;
    println!(
        "kill switch {} released",
        s(out.get("switch").unwrap_or(&out), "id")
    );
    Ok(ExitCode::SUCCESS)
}
