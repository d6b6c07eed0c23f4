//! `behavry baseline eval --events FILE.jsonl` (replay events through the
//! behavioural baseline as the gateway would and report detection metrics)
//! and `behavry baseline generate` (seeded synthetic activity with
//! labelled anomalies). The event format is documented in docs/risk.md.
//! `behavry baseline show AGENT` prints an agent's learned profile through
//! the admin API.

use anyhow::{bail, Context as _};
use behavry_baseline::eval::{evaluate, EvalOptions, Operator};
use behavry_baseline::synth::{generate, SynthConfig};
use behavry_baseline::BaselineConfig;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum BaselineCommand {
    /// Show an agent's learned baseline (usual hours, rates, tools) from the
    /// running gateway.
    Show {
        agent: String,
        /// Print the profile as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Score a JSONL event stream as the gateway would and report detection
    /// metrics for the labelled events.
    Eval {
        /// Events, one JSON object per line (see docs/risk.md).
        #[arg(long)]
        events: PathBuf,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Also write each event's score (JSONL) to this file.
        #[arg(long)]
        scores: Option<PathBuf>,
        /// Escalate (intercept) at or above this score.
        #[arg(long, default_value_t = 0.7)]
        threshold: f64,
        /// Events escalated per day for the precision-at-budget metric.
        #[arg(long, default_value_t = 10)]
        budget: usize,
        /// Who resolves escalated calls: `label` (approve unless labelled
        /// anomalous), `approve` or `reject`.
        #[arg(long, default_value = "label", value_parser = ["label", "approve", "reject"])]
        operator: String,
        /// Local time offset from UTC in minutes, for hours of the week.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        utc_offset_minutes: i32,
    },
    /// Write seeded synthetic activity with labelled anomalies (JSONL).
    Generate {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 35)]
        days: u32,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 4)]
        agents_per_role: usize,
        #[arg(long, default_value_t = 4)]
        anomalies_per_kind: usize,
        /// Days of clean activity before the first anomaly.
        #[arg(long, default_value_t = 14)]
        burn_in_days: u32,
    },
}

pub async fn run(ctx: &super::Context, cmd: BaselineCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BaselineCommand::Show { agent, json } => {
            let admin = ctx.admin()?;
            let out = admin
                .get(&format!("/v1/baselines/{}", path_segment(&agent)))
                .await?;
            let mut stdout = std::io::stdout().lock();
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&out["profile"])?)?;
            } else {
                write!(stdout, "{}", out["text"].as_str().unwrap_or_default())?;
            }
            stdout.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::Eval {
            events,
            json,
            scores,
            threshold,
            budget,
            operator,
            utc_offset_minutes,
        } => {
            if !(0.0..=1.0).contains(&threshold) {
                bail!("--threshold must be between 0 and 1");
            }
            let operator = match operator.as_str() {
                "approve" => Operator::ApproveAll,
                "reject" => Operator::RejectAll,
                _ => Operator::Label,
            };
            let config = BaselineConfig {
                utc_offset_seconds: utc_offset_minutes.saturating_mul(60),
                ..BaselineConfig::default()
            };
            config.validate()?;
            let file = std::fs::File::open(&events)
                .with_context(|| format!("cannot read {}", events.display()))?;
            let mut parsed = Vec::new();
            for (i, line) in BufReader::new(file).lines().enumerate() {
                let line = line.with_context(|| format!("cannot read {}", events.display()))?;
                if let Some(e) = behavry_baseline::parse_line(i + 1, &line)
                    .with_context(|| format!("{} is not a valid event stream", events.display()))?
                {
                    parsed.push(e);
                }
            }
            if parsed.is_empty() {
                bail!("{} holds no events", events.display());
            }
            let options = EvalOptions {
                config,
                threshold,
                budget,
                operator,
                details: scores.is_some(),
            };
            let (scored, report) = evaluate(&parsed, &options)?;
            if let Some(path) = scores {
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let mut w = BufWriter::new(file);
                for s in &scored {
                    serde_json::to_writer(&mut w, s)?;
                    w.write_all(b"\n")?;
                }
                w.flush()
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            // Written, not printed: a closed pipe is an error, not a panic.
            let mut out = std::io::stdout().lock();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                write!(out, "{}", report.to_table())?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::Generate {
            seed,
            days,
            out,
            agents_per_role,
            anomalies_per_kind,
            burn_in_days,
        } => {
            if days == 0 || days > 3_660 {
                bail!("--days must be between 1 and 3660");
            }
            if agents_per_role == 0 || agents_per_role > 1_000 {
                bail!("--agents-per-role must be between 1 and 1000");
            }
            let events = generate(&SynthConfig {
                seed,
                days,
                agents_per_role,
                anomalies_per_kind,
                burn_in_days,
                ..SynthConfig::default()
            });
            let file = std::fs::File::create(&out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            let mut w = BufWriter::new(file);
            for e in &events {
                w.write_all(behavry_baseline::to_line(e)?.as_bytes())?;
                w.write_all(b"\n")?;
            }
            w.flush()
                .with_context(|| format!("cannot write {}", out.display()))?;
            let anomalous = events.iter().filter(|e| e.label == Some(true)).count();
            eprintln!(
                "wrote {} events ({} anomalous) to {}",
                events.len(),
                anomalous,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Percent-encode everything but unreserved characters for one URL path
/// segment.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(super::path_segment("data-analyst_1.x"), "data-analyst_1.x");
        assert_eq!(super::path_segment("a/b c"), "a%2Fb%20c");
    }
}
