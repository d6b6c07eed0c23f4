//! `behavry demo`: the gateway with the bundled demo upstreams (database,
//! files, email) and one demo agent per role. The demo agents' credentials
//! are rotated at every start and printed, since a credential is shown only
//! once.

use anyhow::Context as _;
use behavry_store::{NewAgent, StoreError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Demo configuration file.
    #[arg(long, default_value = "examples/demo/behavry.toml")]
    demo_config: PathBuf,
}

const DEMO_AGENTS: [(&str, &str); 3] = [
    ("analyst-demo", "analyst"),
    ("writer-demo", "writer"),
    ("admin-demo", "admin"),
];

pub async fn run(ctx: &super::Context, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let path = ctx.config.clone().unwrap_or(args.demo_config);
    let config = behavry_config::load(&path).with_context(|| {
        format!(
            "cannot load the demo configuration {} (run from the repository root)",
            path.display()
        )
    })?;
    let mcp = format!("http://{}/mcp", config.server.listen);
    let admin = format!("http://{}", config.admin.listen);
    let running = super::serve::start(config).await?;
    let mut credentials = Vec::new();
    for (name, role) in DEMO_AGENTS {
        let (credential, hash) = behavry_gateway::mint_credential();
        let created = running
            .store
            .create_agent(NewAgent {
                name: name.into(),
                role: role.into(),
                labels: Default::default(),
                owner: Some("demo".into()),
                credential_hash: hash.clone(),
            })
            .await;
        match created {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => {
                running
                    .store
                    .rotate_credential(name, &hash)
                    .await
                    .with_context(|| format!("cannot rotate demo agent {name}"))?;
            }
            Err(e) => return Err(e).context("cannot create demo agents"),
        }
        credentials.push((name, role, credential));
    }
    running.gateway.reload_agents().await?;
    let token_file = running.data_dir.join(behavry_control::ADMIN_TOKEN_FILE);
    println!("\nBehavry demo is running.\n");
    println!("  MCP endpoint:  {mcp}   (one upstream alone: {mcp}/database)");
    println!(
        "  Admin API:     {admin}   (token in {})",
        token_file.display()
    );
    println!("\nDemo agents (credentials are new at every start):");
    for (name, role, credential) in &credentials {
        println!("  {name:<13} role {role:<8} Authorization: Bearer {credential}");
    }
    println!("\nTry, in another terminal:");
    println!("  behavry --config {} approvals list", path.display());
    println!("  behavry --config {} trace tail", path.display());
    println!("Point any MCP client at {mcp} with one of the credentials above.\n");
    running.wait().await
}
