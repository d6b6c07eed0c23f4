//! `behavry trace tail|show` through the admin API.

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
}

pub async fn run(ctx: &super::Context, cmd: TraceCommand) -> anyhow::Result<ExitCode> {
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
