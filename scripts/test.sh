#!/usr/bin/env bash
# The project's test command: installs test dependencies, builds the
# binaries, runs the Rust tests (nextest) and the end-to-end tests (pytest).
# Exits non-zero when anything fails, including a pytest run that collects
# no tests.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

step() { printf '\n==> %s\n' "$*"; }

step "test dependencies"
bash scripts/setup-test-deps.sh

step "cargo fmt --check, cargo clippy -D warnings"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "cargo build --workspace --bins"
cargo build --workspace --bins

step "cargo nextest run --workspace"
cargo nextest run --workspace

step "pytest tests/e2e"
set +e
.venv/bin/pytest tests/e2e -q
status=$?
set -e
if [[ $status -eq 5 ]]; then
    echo "error: pytest collected no tests in tests/e2e" >&2
    exit 1
elif [[ $status -ne 0 ]]; then
    echo "error: end-to-end tests failed (pytest exit $status)" >&2
    exit "$status"
fi

step "all tests passed"
