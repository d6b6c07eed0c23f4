//! `behavry scan eval FILE.jsonl...` (detection figures on labelled data)
//! and `behavry scan text --channel args|result|description` (findings for
//! standard input).

use anyhow::Context as _;
use behavry_scan::eval::{self, Scored};
use behavry_scan::{ScanConfig, Scanner};
use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum ScanCommand {
    /// Score labelled JSONL files (`text`, `label`, `channel`, `category`, `source`).
    Eval {
        files: Vec<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Decision threshold on scores (0..1).
        #[arg(long, default_value_t = 0.5)]
        threshold: f32,
        /// Also score with the learned injection layer (reported separately).
        #[arg(long)]
        learned: bool,
        /// Operator secret-rule file extending the built-in rules.
        #[arg(long)]
        secret_rules: Option<PathBuf>,
    },
    /// Scan standard input and print the findings as JSON.
    Text {
        #[arg(long, value_enum, default_value_t = TextChannel::Result)]
        channel: TextChannel,
        /// Parse the input as JSON (arguments object, result, tool definition).
        #[arg(long)]
        json: bool,
        /// Print `input.scan` (the policy document) instead of the report.
        #[arg(long)]
        policy: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum TextChannel {
    Args,
    Result,
    Description,
}

pub fn run(cmd: ScanCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ScanCommand::Eval {
            files,
            json,
            threshold,
            learned,
            secret_rules,
        } => run_eval(&files, json, threshold, learned, secret_rules),
        ScanCommand::Text {
            channel,
            json,
            policy,
        } => run_text(channel, json, policy),
    }
}

fn config(learned: bool, secret_rules: Option<&PathBuf>) -> anyhow::Result<ScanConfig> {
    let secret_rules = match secret_rules {
        Some(p) => Some(
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
        None => None,
    };
    Ok(ScanConfig {
        learned,
        secret_rules,
        ..ScanConfig::default()
    })
}

fn run_eval(
    files: &[PathBuf],
    json: bool,
    threshold: f32,
    learned: bool,
    secret_rules: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    if files.is_empty() {
        anyhow::bail!("name at least one JSONL file");
    }
    if !(0.0..=1.0).contains(&threshold) {
        anyhow::bail!("--threshold must be within 0..1");
    }
    let rules = Scanner::new(config(false, secret_rules.as_ref())?)?;
    let full = if learned {
        Scanner::new(config(true, secret_rules.as_ref())?)?
    } else {
        Scanner::new(config(false, secret_rules.as_ref())?)?
    };
    let mut scored_files: Vec<(String, Vec<Scored>)> = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let records =
            eval::parse_jsonl(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        scored_files.push((name, eval::score_file(&full, &rules, records)));
    }
    let mut summary = eval::summarize(&scored_files, threshold, learned);
    let all: Vec<&Scored> = scored_files.iter().flat_map(|(_, s)| s).collect();
    summary.speed.push(eval::speed(
        if learned {
            "all records, rules + learned"
        } else {
            "all records, rules"
        },
        &all,
    ));
    for channel in ["tool_result", "tool_args", "tool_description", "prompt"] {
        let some: Vec<&Scored> = all
            .iter()
            .copied()
            .filter(|s| s.record.channel == channel)
            .collect();
        if !some.is_empty() {
            summary.speed.push(eval::speed(channel, &some));
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("{}", summary.table());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_text(channel: TextChannel, json: bool, policy: bool) -> anyhow::Result<ExitCode> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read standard input")?;
    let scanner = Scanner::new(ScanConfig::default())?;
    let value = if json {
        serde_json::from_str(&input).context("standard input is not JSON")?
    } else {
        serde_json::Value::String(input)
    };
    let report = match channel {
        TextChannel::Args => scanner.scan_arguments(&value),
        TextChannel::Result => scanner.scan_result(&value),
        TextChannel::Description => scanner.scan_tool_definition(&value),
    };
    if policy {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_policy_value())?
        );
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
