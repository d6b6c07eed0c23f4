//! `behavry migrate`: bring the store's schema up to date without starting
//! the gateway, for example before rolling out new replicas on PostgreSQL.
//! Running it again, or beside running gateways, is harmless: applied
//! migrations are skipped and concurrent runs wait for each other.

use anyhow::Context as _;
use behavry_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct MigrateArgs {
    /// Store to migrate: sqlite://PATH or postgres://USER@HOST/DATABASE
    /// (default: `[storage] url` from the config file, else behavry.db in
    /// the data directory).
    #[arg(long, env = "BEHAVRY_STORE_URL", hide_env_values = true)]
    pub store_url: Option<String>,
}

pub async fn run(ctx: &super::Context, args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let target = match args.store_url {
        Some(url) => Target::Url(url),
        None => {
            let config = ctx.load_config()?;
            match config.storage.url {
                Some(url) => Target::Url(url),
                None => Target::DataDir(config.server.data_dir),
            }
        }
    };
    match target {
        Target::Url(url) => {
            let backend = backend_name(&url);
            Store::migrate_url(&url)
                .await
                .with_context(|| format!("cannot migrate the {backend} store"))?;
            println!("the {backend} store schema is up to date");
        }
        Target::DataDir(data_dir) => {
            let store = Store::open_dir(&data_dir)
                .await
                .context("cannot migrate the sqlite store")?;
            drop(store);
            println!(
                "the sqlite store schema in {} is up to date",
                data_dir.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Which store to migrate.
enum Target {
    Url(String),
    /// The default SQLite database in the data directory.
    DataDir(PathBuf),
}

/// The backend a URL names, for messages (the URL itself may hold a
/// password and is never printed).
fn backend_name(url: &str) -> &'static str {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("postgres" | "postgresql") => "postgresql",
        Some("sqlite") => "sqlite",
        _ => "configured",
    }
}

#[cfg(test)]
mod tests {
    use super::backend_name;

    #[test]
    fn messages_name_the_backend_not_the_url() {
        for (url, name) in [
            ("postgres://u:pw@h/db", "postgresql"),
            ("POSTGRESQL://h/db", "postgresql"),
            ("sqlite:///var/lib/behavry.db", "sqlite"),
            ("mysql://u:pw@h/db", "configured"),
        ] {
            assert_eq!(backend_name(url), name, "{url}");
        }
    }
}
