//! `behavry trace tail|show` through the admin API; `verify`, `prove`,
//! `verify-proof` and `pubkey` from the database or a proof file
//! ([`integrity`]).

mod integrity;
mod workflow_tree;

use serde_json::Value;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum TraceCommand {
    /// Print the latest trace events, one JSON object per line.
    Tail {
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Keep printing new events.
        #[arg(long, short)]
        follow: bool,
    },
    /// Print every event of one decision.
    Show { decision_id: String },
    /// Print a workflow's decisions as a tree: each under the decision it
    /// descends from, with verdicts, reasons and outcomes.
    Workflow {
        id: String,
        /// Print the admin API's JSON (workflow, ledger, decisions).
        #[arg(long)]
        json: bool,
    },
    /// Check the trace's hash chain and signed checkpoints; print the first
    /// bad record and exit non-zero if anything was changed.
    Verify {
        #[command(flatten)]
        at: integrity::StoreLocation,
        /// Public key to check checkpoints with (`ed25519:...`, or a file
        /// holding it); default: the one recorded in the database.
        #[arg(long)]
        public_key: Option<String>,
        /// Print the result as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Print a self-contained proof that a decision is in the trace (JSON).
    Prove {
        decision_id: String,
        #[command(flatten)]
        at: integrity::StoreLocation,
    },
    /// Check a proof written by `prove` with only the public key.
    VerifyProof {
        /// Proof file, or `-` for standard input.
        file: std::path::PathBuf,
        /// `ed25519:...`, or a file holding it.
        #[arg(long)]
        public_key: String,
    },
    /// Print the deployment's trace public key.
    Pubkey {
        #[command(flatten)]
        at: integrity::StoreLocation,
    },
}

pub async fn run(ctx: &super::Context, cmd: TraceCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TraceCommand::Verify {
            at,
            public_key,
            json,
        } => return integrity::verify(ctx, &at, public_key.as_deref(), json).await,
        TraceCommand::Prove { decision_id, at } => {
            return integrity::prove(ctx, &at, &decision_id).await
        }
        TraceCommand::VerifyProof { file, public_key } => {
            return integrity::verify_proof(&file, &public_key)
        }
        TraceCommand::Pubkey { at } => return integrity::pubkey(ctx, &at).await,
        TraceCommand::Tail { .. } | TraceCommand::Show { .. } | TraceCommand::Workflow { .. } => {}
    }
    let admin = ctx.admin()?;
    match cmd {
        TraceCommand::Tail { limit, follow } => {
            let mut last = print_events(&admin.get(&format!("/v1/trace?limit={limit}")).await?)?;
            if !follow {
                return Ok(ExitCode::SUCCESS);
            }
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let path = match last {
                    Some(seq) => format!("/v1/trace?after={seq}&limit=500"),
                    None => "/v1/trace?limit=500".to_string(),
                };
                if let Some(seq) = print_events(&admin.get(&path).await?)? {
                    last = Some(seq);
                }
            }
        }
        TraceCommand::Show { decision_id } => {
            let out = admin.get(&format!("/v1/trace/{decision_id}")).await?;
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        TraceCommand::Workflow { id, json } => {
            let out = admin.get(&format!("/v1/workflows/{id}")).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                print!("{}", workflow_tree::render(&out));
            }
        }
        TraceCommand::Verify { .. }
        | TraceCommand::Prove { .. }
        | TraceCommand::VerifyProof { .. }
        | TraceCommand::Pubkey { .. } => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn print_events(out: &Value) -> anyhow::Result<Option<u64>> {
    let mut last = None;
    for e in out
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        println!("{}", serde_json::to_string(e)?);
        last = e.get("seq").and_then(Value::as_u64).or(last);
    }
    Ok(last)
}
