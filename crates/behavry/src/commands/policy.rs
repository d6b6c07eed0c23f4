//! `behavry policy test DIR` (runs every `test_*` rule, like `opa test`)
//! and `behavry policy eval --input FILE` (prints the decision).

use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum PolicyCommand {
    /// Run the policy set's tests.
    Test {
        dir: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate `data.behavry.decision` for an input document.
    Eval {
        /// Input document (JSON), as documented in docs/policy.md.
        #[arg(long)]
        input: PathBuf,
        /// Policy directory (default: the config's policy.dir).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

pub fn run(ctx: &super::Context, cmd: PolicyCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PolicyCommand::Test { dir, json } => {
            let report = behavry_policy::run_tests(&dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
            Ok(if report.all_passed() && report.total() > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        PolicyCommand::Eval { input, dir } => {
            let dir = match dir {
                Some(d) => d,
                None => ctx.load_config()?.policy.dir,
            };
            let text = std::fs::read_to_string(&input)
                .with_context(|| format!("cannot read {}", input.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", input.display()))?;
            let set = behavry_policy::PolicySet::load_dir(&dir)?;
            match set.evaluate_json(&value) {
                Ok(verdict) => {
                    println!("{}", serde_json::to_string_pretty(&verdict)?);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!(
                        "{}",
                        serde_json::json!({"result": "deny", "reasons": [format!("fail closed: {e}")]})
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
