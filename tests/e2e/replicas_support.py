"""Helpers for the scale-out tests: a fresh PostgreSQL schema per test,
`behavry serve` replicas sharing it (the keys of the first copied to the
others, as an operator would), a TCP proxy that can cut a replica off the
database, and calls that report how they ended."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

import harness
from approvals_support import ECHO_POLICY, everything_upstream, text_of
from harness import LEGACY, free_port, render_toml, start_process, stop_process, wait_for_http

PG_HOST, PG_PORT, PG_DB, PG_USER = "127.0.0.1", 5432, "test", "postgres"
# Files every replica of one deployment must share (the first replica creates them).
SHARED_FILES = ("admin.token", "trace-signing.key", "workflow-root.key")
STALE_SECS = 3.0


def psql(sql: str) -> str:
    done = subprocess.run(
        ["psql", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", PG_DB, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def store_url(schema: str, port: int = PG_PORT) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{port}/{PG_DB}?options=-c%20search_path%3D{schema}"


@dataclass
class Replica:
    name: str
    mcp_url: str
    admin_url: str
    data_dir: Path
    config_path: Path
    log_path: Path
    proc: subprocess.Popen[bytes]
    admin_token: str = ""
    http: httpx2.Client = field(default_factory=lambda: httpx2.Client(timeout=30.0), repr=False)

    def admin(self, method: str, path: str, body: Any = None) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        return self.http.request(method, self.admin_url + path, json=body, headers=headers)

    def readyz(self) -> tuple[int, dict[str, Any]]:
        response = self.http.get(self.admin_url + "/readyz")
        return response.status_code, response.json()


class Deployment:
    """Replicas of one deployment on one fresh schema."""

    def __init__(self, behavry_bin: Path, everything_cmd: list[str], tmp_path: Path, register_log) -> None:
        self.bin = behavry_bin
        self.upstream = everything_upstream(everything_cmd)
        self.tmp = tmp_path
        self.register_log = register_log
        self.schema = "replicas_" + uuid.uuid4().hex[:12]
        psql(f"CREATE SCHEMA {self.schema}")
        self.replicas: list[Replica] = []

    def start(self, name: str, db_port: int = PG_PORT, extra_storage: dict[str, Any] | None = None) -> Replica:
        base = self.tmp / name
        data_dir = base / "data"
        data_dir.mkdir(parents=True)
        if self.replicas:
            for shared in SHARED_FILES:
                source = self.replicas[0].data_dir / shared
                if source.exists():
                    shutil.copy2(source, data_dir / shared)
        port, admin_port = free_port(), free_port()
        storage = {"url": store_url(self.schema, db_port), "coordination_stale_secs": STALE_SECS, **(extra_storage or {})}
        tables = {
            "server": {"listen": f"127.0.0.1:{port}", "data_dir": str(data_dir)},
            "admin": {"listen": f"127.0.0.1:{admin_port}"},
            "policy": {"dir": str(ECHO_POLICY)},
            "approvals": {"timeout_secs": 60},
            "storage": storage,
        }
        config_path = base / "behavry.toml"
        config_path.write_text(render_toml(tables, {"upstreams": [self.upstream]}))
        log_path = base / "behavry.log"
        self.register_log(f"replica {name}", log_path)
        proc = start_process([self.bin, "serve", "--config", config_path], log_path, cwd=base)
        replica = Replica(name, f"http://127.0.0.1:{port}/mcp", f"http://127.0.0.1:{admin_port}", data_dir, config_path, log_path, proc)
        self.replicas.append(replica)
        wait_for_http(f"{replica.admin_url}/readyz", timeout=60, status=200, proc=proc, log_path=log_path)
        replica.admin_token = (data_dir / "admin.token").read_text().strip()
        return replica

    def stop(self) -> None:
        for replica in self.replicas:
            stop_process(replica.proc)
            replica.http.close()
        psql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


def create_agent(replica: Replica, name: str, role: str = "tester") -> str:
    response = replica.admin("POST", "/v1/agents", {"name": name, "role": role})
    assert response.status_code in (200, 201), response.text
    return response.json()["credential"]


async def call(replica: Replica, credential: str, tool: str, args: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[str, str]:
    """("ok", text), ("denied", message) for a JSON-RPC error, ("refused", why) otherwise."""
    try:
        async with harness.mcp_client(replica.mcp_url, credential, mode=LEGACY, headers=headers, timeout=15.0) as client:
            result = await client.call_tool(tool, args)
            return "ok", text_of(result)
    except Exception as error:  # noqa: BLE001 - every way a call can fail counts as "not allowed"
        rpc = _rpc_error(error)
        if rpc is not None:
            return "denied", f"{rpc.code} {getattr(rpc, 'message', rpc)}"
        return "refused", repr(error)


def _rpc_error(error: BaseException) -> Any:
    """The JSON-RPC error inside `error` (the SDK wraps it in exception groups)."""
    if getattr(error, "code", None) is not None:
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _rpc_error(inner)
        if found is not None:
            return found
    return None


async def until(predicate, timeout: float, interval: float = 0.05) -> float:
    """Await `predicate()` (async, returns bool) until true; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if await predicate():
            return time.monotonic() - started
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the database; `cut()` drops every
    connection and refuses new ones until `restore()`."""

    def __init__(self, target_port: int = PG_PORT) -> None:
        self.target = (PG_HOST, target_port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.open = True
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.open = False
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.sockets.clear()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.server.close()
