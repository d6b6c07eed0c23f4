//! `behavry config check`: the same parse-and-validate path `serve` uses,
//! reporting every problem at once.

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration file and print a summary.
    Check,
}

pub fn run(ctx: &super::Context, cmd: ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Check => {
            let Some(path) = ctx.config_path() else {
                anyhow::bail!("no configuration file: pass --config FILE");
            };
            match behavry_config::load(&path) {
                Ok(config) => {
                    println!("{}: ok", path.display());
                    println!("  gateway  http://{}/mcp", config.server.listen);
                    println!("  admin    http://{}", config.admin.listen);
                    println!("  policy   {}", config.policy.dir.display());
                    println!("  data     {}", config.server.data_dir.display());
                    for up in &config.upstreams {
                        println!("  upstream {}", up.name);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
