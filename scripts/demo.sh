#!/usr/bin/env bash
# Build Behavry and the demo MCP server, then run the gateway with the demo
# upstreams on the embedded SQLite store. Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p behavry -p behavry-demo-server
exec "$target/release/behavry" demo "$@"
