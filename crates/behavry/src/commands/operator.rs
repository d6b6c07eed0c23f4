//! `behavry operator add|list|disable|passwd`: console operators, through
//! the admin API. Passwords come from standard input (`--password-stdin`,
//! one line) or are generated and printed once.

use super::agent::s;
use anyhow::Context as _;
use serde_json::{json, Value};
use std::io::BufRead as _;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum OperatorCommand {
    /// Add an operator who can sign in to the console.
    Add {
        name: String,
        /// viewer, approver or admin.
        #[arg(long)]
        role: String,
        /// Approval group; repeatable.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Read the password from the first line of standard input
        /// (otherwise one is generated and printed once).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List operators.
    List,
    /// Disable an operator; their console sessions end at once.
    Disable { name: String },
    /// Set an operator's password; their console sessions end.
    Passwd {
        name: String,
        /// Read the password from the first line of standard input
        /// (otherwise one is generated and printed once).
        #[arg(long)]
        password_stdin: bool,
    },
}

pub async fn run(ctx: &super::Context, cmd: OperatorCommand) -> anyhow::Result<ExitCode> {
    let admin = ctx.admin()?;
    match cmd {
        OperatorCommand::Add {
            name,
            role,
            groups,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            let out = admin
                .post(
                    "/v1/operators",
                    json!({"name": name, "role": role, "groups": groups, "password": password}),
                )
                .await?;
            let op = out.get("operator").cloned().unwrap_or(Value::Null);
            println!(
                "operator {} added (role {})",
                s(&op, "name"),
                s(&op, "role")
            );
            show_generated(generated.then_some(password.as_str()));
        }
        OperatorCommand::List => {
            let out = admin.get("/v1/operators").await?;
            println!(
                "{:<24} {:<9} {:<9} {:<9} GROUPS",
                "NAME", "ROLE", "STATUS", "PASSWORD"
            );
            for o in out
                .get("operators")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let flag = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(false);
                let groups: Vec<&str> = o
                    .get("groups")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                println!(
                    "{:<24} {:<9} {:<9} {:<9} {}",
                    s(o, "name"),
                    s(o, "role"),
                    if flag("disabled") {
                        "disabled"
                    } else {
                        "active"
                    },
                    if flag("has_password") {
                        "set"
                    } else {
                        "not set"
                    },
                    groups.join(",")
                );
            }
        }
        OperatorCommand::Disable { name } => {
            admin
                .post(&format!("/v1/operators/{name}/disable"), json!({}))
                .await?;
            println!("operator {name} disabled");
        }
        OperatorCommand::Passwd {
            name,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            admin
                .post(
                    &format!("/v1/operators/{name}/password"),
                    json!({"password": password}),
                )
                .await?;
            println!("password of {name} set; their console sessions have ended");
            show_generated(generated.then_some(password.as_str()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The password to use and whether it was generated.
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        anyhow::ensure!(!line.is_empty(), "no password on standard input");
        Ok((line, false))
    } else {
        let bytes: [u8; 18] = rand::random();
        let generated: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok((generated, true))
    }
}

fn show_generated(password: Option<&str>) {
    if let Some(p) = password {
        println!("password: {p}");
        eprintln!("store the password now: it is not shown again");
    }
}
