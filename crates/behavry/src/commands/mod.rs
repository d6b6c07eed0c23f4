//! One module per subcommand, plus what they share: where the config file
//! is and how to reach the admin API.

pub mod agent;
pub mod approvals;
pub mod baseline;
pub mod config;
pub mod demo;
pub mod kill;
pub mod migrate;
pub mod operator;
pub mod policy;
pub mod scan;
pub mod serve;
pub mod tools;
pub mod trace;
pub mod workflow;

use anyhow::Context as _;
use behavry_config::Config;
use std::path::{Path, PathBuf};

pub struct Context {
    pub config: Option<PathBuf>,
    pub admin_url: Option<String>,
    pub admin_token: Option<String>,
}

pub const DEFAULT_CONFIG: &str = "behavry.toml";

impl Context {
    /// The config file named with --config, or ./behavry.toml when present.
    pub fn config_path(&self) -> Option<PathBuf> {
        self.config.clone().or_else(|| {
            Path::new(DEFAULT_CONFIG)
                .exists()
                .then(|| PathBuf::from(DEFAULT_CONFIG))
        })
    }

    /// Load the configuration; without a file, the defaults.
    /// The configuration, with `storage.url` resolved when it is an
    /// `${env:NAME}` reference.
    pub fn load_config(&self) -> anyhow::Result<Config> {
        let mut config = match self.config_path() {
            Some(path) => behavry_config::load(&path)?,
            None => behavry_config::parse("", Path::new("."))?,
        };
        if let Some(url) = &config.storage.url {
            let resolved = behavry_config::resolve_secret(url, |name| std::env::var(name).ok())
                .map_err(|e| anyhow::anyhow!("storage.url: {e}"))?;
            config.storage.url = Some(resolved);
        }
        Ok(config)
    }

    /// An admin API client: URL and token from flags, environment or the
    /// config file's admin listener and data directory.
    pub fn admin(&self) -> anyhow::Result<crate::admin_client::AdminClient> {
        let config = self.load_config().ok();
        let url = match &self.admin_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => match &config {
                Some(c) => format!("http://{}", c.admin.listen),
                None => "http://127.0.0.1:8081".to_string(),
            },
        };
        let token = match &self.admin_token {
            Some(t) => t.clone(),
            None => {
                let data_dir = config
                    .map(|c| c.server.data_dir)
                    .unwrap_or_else(|| PathBuf::from("data"));
                let path = data_dir.join(behavry_control::ADMIN_TOKEN_FILE);
                std::fs::read_to_string(&path)
                    .with_context(|| format!("no admin token: pass --admin-token, set BEHAVRY_ADMIN_TOKEN or make {} readable", path.display()))?
                    .trim()
                    .to_string()
            }
        };
        crate::admin_client::AdminClient::new(url, token)
    }
}
