//! `behavry workflow delegate` (narrow a workflow token for a sub-agent,
//! offline: only the token and the deployment's public key are needed) and
//! `behavry workflow inspect` (print a token's chain).

use anyhow::Context as _;
use behavry_workflow::{AgentRef, Delegation, Scope};
use std::io::Read as _;
use std::process::ExitCode;
use time::OffsetDateTime;

#[derive(clap::Subcommand)]
pub enum WorkflowCommand {
    /// Narrow a workflow token for a sub-agent, without calling Behavry.
    /// Prints the new token on standard output.
    Delegate(DelegateArgs),
    /// Verify a token's signatures and print its delegation chain.
    Inspect(TokenArgs),
}

#[derive(clap::Args)]
pub struct TokenArgs {
    /// The workflow token; `-` reads it from standard input.
    #[arg(long, env = "BEHAVRY_WORKFLOW_TOKEN", hide_env_values = true)]
    token: String,
    /// The deployment's workflow public key (`ed25519/<hex>`).
    #[arg(long, env = "BEHAVRY_WORKFLOW_PUBLIC_KEY")]
    public_key: String,
}

#[derive(clap::Args)]
pub struct DelegateArgs {
    #[command(flatten)]
    token: TokenArgs,
    /// The sub-agent's id, as Behavry knows it.
    #[arg(long)]
    to: String,
    /// Tools to delegate: `upstream.tool` patterns, a trailing `*` allowed.
    #[arg(long, value_delimiter = ',', required = true)]
    tools: Vec<String>,
    /// Resource patterns to delegate (default: none).
    #[arg(long, value_delimiter = ',')]
    resources: Vec<String>,
    /// Flags to delegate: `write`, `outbound` (default: none).
    #[arg(long, value_delimiter = ',')]
    flags: Vec<String>,
    /// Lifetime (`90s`, `10m`, `2h`, `1d`); never beyond the token's own.
    #[arg(long, default_value = "1h")]
    ttl: String,
    /// Seal the new token so that the sub-agent cannot delegate further.
    #[arg(long)]
    seal: bool,
}

pub fn run(cmd: WorkflowCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        WorkflowCommand::Delegate(args) => delegate(args),
        WorkflowCommand::Inspect(args) => inspect(args),
    }
}

fn read_token(arg: &str) -> anyhow::Result<String> {
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the token from standard input")?;
        Ok(text.trim().to_string())
    } else {
        Ok(arg.trim().to_string())
    }
}

fn public_key(text: &str) -> anyhow::Result<behavry_workflow::PublicKey> {
    behavry_workflow::parse_public_key(text)
        .map_err(|e| anyhow::anyhow!("invalid --public-key: {e}"))
}

/// `90s`, `10m`, `2h`, `1d` → seconds.
fn parse_ttl(text: &str) -> anyhow::Result<i64> {
    let text = text.trim();
    let split = text.char_indices().last().map_or(0, |(index, _)| index);
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().ok().filter(|n| *n > 0).with_context(|| {
        format!("invalid --ttl `{text}`: expected a positive number and s, m, h or d")
    })?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => anyhow::bail!("invalid --ttl `{text}`: expected a positive number and s, m, h or d"),
    };
    number.checked_mul(unit).context("--ttl is too long")
}

fn delegate(args: DelegateArgs) -> anyhow::Result<ExitCode> {
    let token = read_token(&args.token.token)?;
    let key = public_key(&args.token.public_key)?;
    let to = AgentRef::parse(&args.to).map_err(|e| anyhow::anyhow!("invalid --to: {e}"))?;
    let scope = Scope::parse(&args.tools, &args.resources, &args.flags)?;
    let now = OffsetDateTime::now_utc();
    let expires = now + time::Duration::seconds(parse_ttl(&args.ttl)?);
    let delegated = behavry_workflow::attenuate(
        &token,
        key,
        &Delegation {
            to,
            scope,
            expires,
            seal: args.seal,
        },
        now,
    )?;
    eprintln!(
        "delegated to {} at depth {}, expires at unix time {}{}",
        args.to,
        delegated.depth,
        delegated.expires,
        if args.seal { ", sealed" } else { "" }
    );
    println!("{}", delegated.token.as_str());
    Ok(ExitCode::SUCCESS)
}

fn inspect(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let token = read_token(&args.token)?;
    let key = public_key(&args.public_key)?;
    let info = behavry_workflow::inspect(&token, key)?;
    println!("workflow  {}", info.workflow_id);
    println!("purpose   {}", info.purpose);
    println!("depth     {} of {}", info.depth, info.max_depth);
    println!("expires   {}", info.expires);
    for (hop, h) in info.chain.iter().enumerate() {
        println!(
            "hop {hop}     {}  tools={} resources={} flags={}",
            h.delegatee,
            h.scope.tools.to_strings().join(","),
            h.scope.resources.to_strings().join(","),
            h.scope
                .flags
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    let scope = &info.effective_scope;
    println!(
        "effective tools={} resources={} flags={}",
        scope.tools.to_strings().join(","),
        scope.resources.to_strings().join(","),
        scope
            .flags
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_table() {
        for (text, secs) in [("90s", 90), ("10m", 600), ("2h", 7_200), ("1d", 86_400)] {
            assert_eq!(parse_ttl(text).unwrap(), secs, "{text}");
        }
        for bad in ["", "10", "0m", "-5m", "5w", "m", "1.5h", "5é"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
