//! Test fixtures: locating the npm reference servers, starting HTTP servers
//! on loopback ports, and building specs.
#![allow(dead_code)]

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use behavry_upstream::{ClientInit, UpstreamSpec, UpstreamTransport};
use serde_json::json;

/// Node preload forcing every listen onto 127.0.0.1.
const LOOPBACK_PRELOAD: &str = r#"
const net = require('net');
const orig = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const cb = args.find(a => typeof a === 'function');
    return cb ? orig.call(this, Number(first), '127.0.0.1', cb) : orig.call(this, Number(first), '127.0.0.1');
  }
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    args[0] = Object.assign({}, first, { host: '127.0.0.1' });
  }
  return orig.apply(this, args);
};
"#;

/// The node_modules directory holding the reference servers; panics with
/// setup instructions when it is missing.
pub fn node_modules() -> PathBuf {
    let candidates: Vec<PathBuf> = match std::env::var_os("BEHAVRY_NODE_MODULES") {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/node/node_modules"),
            PathBuf::from("/tmp/npmtest/node_modules"),
        ],
    };
    candidates
        .iter()
        .find(|dir| dir.join("@modelcontextprotocol/server-everything").is_dir())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "npm reference servers not found in {candidates:?}; run scripts/setup-test-deps.sh \
                 (or set BEHAVRY_NODE_MODULES to a node_modules holding \
                 @modelcontextprotocol/server-everything and server-filesystem)"
            )
        })
}

pub fn server_script(package: &str) -> String {
    let script = node_modules()
        .join("@modelcontextprotocol")
        .join(package)
        .join("dist/index.js");
    assert!(
        script.is_file(),
        "{} missing; run scripts/setup-test-deps.sh",
        script.display()
    );
    script.to_string_lossy().into_owned()
}

pub fn client_init(prefer_modern: bool) -> ClientInit {
    let mut init = ClientInit::new(
        json!({}),
        json!({"name": "behavry-test", "version": "0.0.0"}),
    );
    init.prefer_modern = prefer_modern;
    init
}

pub fn spec(name: &str, transport: UpstreamTransport) -> UpstreamSpec {
    UpstreamSpec {
        name: name.to_owned(),
        transport,
        request_timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(20),
    }
}

pub fn everything_stdio() -> UpstreamTransport {
    UpstreamTransport::Stdio {
        command: "node".to_owned(),
        args: vec![server_script("server-everything"), "stdio".to_owned()],
        env: vec![],
        cwd: None,
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A background server process killed on drop.
pub struct ServerProcess {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for_port(child: &mut Child, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("test server exited early with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "test server did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// server-everything over Streamable HTTP on a loopback port.
pub fn start_everything_http() -> ServerProcess {
    let dir = tempfile::tempdir().expect("tempdir");
    let preload = dir.path().join("loopback.cjs");
    std::fs::write(&preload, LOOPBACK_PRELOAD).expect("write preload");
    let port = free_port();
    let mut child = Command::new("node")
        .arg("--require")
        .arg(&preload)
        .arg(server_script("server-everything"))
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node");
    wait_for_port(&mut child, port);
    ServerProcess {
        child,
        url: format!("http://127.0.0.1:{port}/mcp"),
        _dir: dir,
    }
}

/// The venv `scripts/setup-test-deps.sh` creates at the repository root.
const PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python");

const PYTHON_SERVER: &str = r#"
import sys
from mcp.server.mcpserver import MCPServer
mcp = MCPServer("py-upstream")

@mcp.tool()
def echo(text: str) -> str:
    """Echo text back."""
    return text

mcp.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
"#;

/// A Python SDK server (2026-07-28 and legacy) on a loopback port.
pub fn start_python_server() -> ServerProcess {
    let python = std::env::var("BEHAVRY_PYTHON").unwrap_or_else(|_| PYTHON.to_owned());
    assert!(
        Path::new(&python).is_file(),
        "python with the mcp sdk not found at {python}; run scripts/setup-test-deps.sh or set BEHAVRY_PYTHON"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("server.py");
    std::fs::write(&script, PYTHON_SERVER).expect("write server");
    let port = free_port();
    let mut child = Command::new(python)
        .arg(&script)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python");
    wait_for_port(&mut child, port);
    ServerProcess {
        child,
        url: format!("http://127.0.0.1:{port}/mcp"),
        _dir: dir,
    }
}

pub fn text_of(result: &serde_json::Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
