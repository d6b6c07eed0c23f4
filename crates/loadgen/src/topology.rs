//! Starting and stopping the measured processes: the demo server over HTTP
//! and a gateway in front of it, with a fresh agent.

use anyhow::{anyhow, Context as _};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub struct Topology {
    pub direct_url: String,
    pub gateway_url: String,
    pub credential: String,
    pub admin_url: String,
    children: Vec<Child>,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Topology {
    pub async fn start(
        bin_dir: Option<PathBuf>,
        policy_dir: &Path,
        durability: &str,
        store_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        let bin_dir = match bin_dir {
            Some(d) => d,
            None => std::env::current_exe()?
                .parent()
                .map(Path::to_path_buf)
                .ok_or_else(|| anyhow!("no binary directory"))?,
        };
        let dir =
            TempDir(std::env::temp_dir().join(format!("behavry-loadgen-{}", std::process::id())));
        std::fs::create_dir_all(&dir.0)?;
        let policy_dir = std::fs::canonicalize(policy_dir)
            .with_context(|| format!("policy dir {}", policy_dir.display()))?;
        let (upstream_port, mcp_port, admin_port) = (free_port()?, free_port()?, free_port()?);

        let mut children = Vec::new();
        children.push(
            Command::new(bin_dir.join("behavry-demo-server"))
                .args([
                    "--profile",
                    "database",
                    "--http",
                    &format!("127.0.0.1:{upstream_port}"),
                    "--data-dir",
                ])
                .arg(dir.0.join("upstream"))
                .stdout(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .context("cannot start behavry-demo-server")?,
        );
        let storage = store_url
            .map(|url| format!("[storage]\nurl = \"{url}\"\n"))
            .unwrap_or_default();
        let config = format!(
            "{storage}[server]\nlisten = \"127.0.0.1:{mcp_port}\"\ndata_dir = \"{}\"\n[admin]\nlisten = \"127.0.0.1:{admin_port}\"\n\
             [policy]\ndir = \"{}\"\nwatch = false\n[trace]\ndurability = \"{durability}\"\n[[upstreams]]\nname = \"database\"\nurl = \"http://127.0.0.1:{upstream_port}/mcp\"\nprotocol = \"legacy\"\n",
            dir.0.join("gateway").display(),
            policy_dir.display()
        );
        let config_path = dir.0.join("behavry.toml");
        std::fs::write(&config_path, config)?;
        children.push(
            Command::new(bin_dir.join("behavry"))
                .arg("--config")
                .arg(&config_path)
                .arg("serve")
                .env("BEHAVRY_LOG", "warn")
                .stdout(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .context("cannot start behavry")?,
        );
        let http = reqwest::Client::new();
        let admin = format!("http://127.0.0.1:{admin_port}");
        wait_ready(&http, &format!("{admin}/readyz")).await?;
        wait_ready(&http, &format!("http://127.0.0.1:{upstream_port}/mcp"))
            .await
            .ok();
        let token = std::fs::read_to_string(dir.0.join("gateway").join("admin.token"))?
            .trim()
            .to_string();
        let created: Value = http
            .post(format!("{admin}/v1/agents"))
            .bearer_auth(&token)
            .json(&json!({"name": "loadgen", "role": "analyst"}))
            .send()
            .await?
            .json()
            .await?;
        let credential = created
            .get("credential")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("agent not created: {created}"))?
            .to_string();
        Ok(Topology {
            direct_url: format!("http://127.0.0.1:{upstream_port}/mcp"),
            gateway_url: format!("http://127.0.0.1:{mcp_port}/mcp"),
            credential,
            admin_url: admin.clone(),
            children,
            _dir: dir,
        })
    }

    pub async fn stop(mut self) {
        for child in &mut self.children {
            let _ = child.kill().await;
        }
    }
}

async fn wait_ready(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(url).send().await {
            if r.status().as_u16() < 500 {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(anyhow!("{url} did not become ready"))
}
