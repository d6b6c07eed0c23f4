//! `behavry`: the gateway server and the operator CLI. One file per
//! subcommand under `commands/`; this file only parses and dispatches.

mod admin_client;
mod commands;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "behavry",
    version,
    about = "Runtime authorization for AI agents and their MCP tools"
)]
struct Cli {
    /// Configuration file.
    #[arg(long, global = true, env = "BEHAVRY_CONFIG")]
    config: Option<PathBuf>,
    /// Admin API base URL (default: from the config file, else http://127.0.0.1:8081).
    #[arg(long, global = true, env = "BEHAVRY_ADMIN_URL")]
    admin_url: Option<String>,
    /// Admin token (default: read from <data_dir>/admin.token).
    #[arg(
        long,
        global = true,
        env = "BEHAVRY_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway and its admin API.
    Serve,
    /// Run the gateway with the bundled demo upstreams and demo agents.
    Demo(commands::demo::DemoArgs),
    /// Register, list and revoke agents.
    #[command(subcommand)]
    Agent(commands::agent::AgentCommand),
    /// Test and evaluate policies.
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
    /// Add, list and disable console operators.
    #[command(subcommand)]
    Operator(commands::operator::OperatorCommand),
    /// List and resolve held calls.
    #[command(subcommand)]
    Approvals(commands::approvals::ApprovalsCommand),
    /// Engage or list kill switches (global, agent, workflow, upstream, tool).
    Kill(commands::kill::KillArgs),
    /// Release a kill switch.
    Unkill(commands::kill::UnkillArgs),
    /// Read the Decision Trace.
    #[command(subcommand)]
    Trace(commands::trace::TraceCommand),
    /// Create or update the store's schema (SQLite or PostgreSQL) without starting the gateway.
    Migrate(commands::migrate::MigrateArgs),
    /// Validate the configuration file.
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Show an agent's behavioural baseline; evaluate it on event streams; generate synthetic activity.
    #[command(subcommand)]
    Baseline(commands::baseline::BaselineCommand),
    /// Scan content and evaluate the scanners on labelled data.
    #[command(subcommand)]
    Scan(commands::scan::ScanCommand),
    /// List tool definitions withheld after a change or a poisoning finding; approve them.
    #[command(subcommand)]
    Tools(commands::tools::ToolsCommand),
    /// Delegate a workflow token to a sub-agent offline; inspect a token.
    #[command(subcommand)]
    Workflow(commands::workflow::WorkflowCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctx = commands::Context {
        config: cli.config,
        admin_url: cli.admin_url,
        admin_token: cli.admin_token,
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => commands::serve::run(&ctx).await,
            Command::Demo(args) => commands::demo::run(&ctx, args).await,
            Command::Agent(cmd) => commands::agent::run(&ctx, cmd).await,
            Command::Policy(cmd) => commands::policy::run(&ctx, cmd),
            Command::Operator(cmd) => commands::operator::run(&ctx, cmd).await,
            Command::Approvals(cmd) => commands::approvals::run(&ctx, cmd).await,
            Command::Kill(args) => commands::kill::kill(&ctx, args).await,
            Command::Unkill(args) => commands::kill::unkill(&ctx, args).await,
            Command::Trace(cmd) => commands::trace::run(&ctx, cmd).await,
            Command::Migrate(args) => commands::migrate::run(&ctx, args).await,
            Command::Config(cmd) => commands::config::run(&ctx, cmd),
            Command::Baseline(cmd) => commands::baseline::run(&ctx, cmd).await,
            Command::Scan(cmd) => commands::scan::run(cmd),
            Command::Tools(cmd) => commands::tools::run(&ctx, cmd).await,
            Command::Workflow(cmd) => commands::workflow::run(cmd),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BEHAVRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = std::env::var("BEHAVRY_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
