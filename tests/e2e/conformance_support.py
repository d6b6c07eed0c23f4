"""Support for the differential conformance test: a credential-adding HTTP
forwarder, running the npm conformance suite, and comparing its check results.

The conformance CLI (`conformance server --url ...`) cannot send extra HTTP
headers, and the gateway requires `Authorization: Bearer <credential>` on every
request. `CredentialForwarder` listens on loopback and relays each connection
byte for byte to the gateway, adding that one header to every request head.
Response bytes (including SSE streams) are relayed as they arrive, nothing is
buffered, and a connection closed on one side is closed on the other (so a
client dropping a stream still reaches the gateway as a disconnect). The
gateway still authenticates every request; the forwarder only plays a client
that holds a credential.

Check results: the suite writes one `<out>/server-<scenario>-<timestamp>/checks.json`
per scenario, a list of `{id, status, errorMessage?, details?}`. Statuses are
SUCCESS, FAILURE, WARNING, SKIPPED and INFO; INFO entries are the suite's wire
log (requests, responses, SSE events seen), not verdicts, so they are kept for
diagnostics but not compared.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

VERDICT_STATUSES = frozenset({"SUCCESS", "FAILURE", "WARNING", "SKIPPED"})
_RESULT_DIR = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")
_HEAD_LIMIT = 64 * 1024
_TRANSCRIPT_BYTES_PER_DIRECTION = 8 * 1024


# ---------------------------------------------------------------- forwarder


class CredentialForwarder:
    """Loopback HTTP/1.1 forwarder to `target_host:target_port` that sets `headers` on every request.

    Use as a context manager; `url(path)` is the address to give the client.
    Request heads are rewritten (any header of the same name the client sent
    is dropped first); bodies and all response bytes pass through unchanged.
    A transcript of each connection (capped) is appended to `transcript_path`.
    """

    def __init__(self, target_host: str, target_port: int, headers: Mapping[str, str], transcript_path: Path) -> None:
        self._target = (target_host, target_port)
        self._headers = dict(headers)
        self._drop = {name.lower().encode() for name in self._headers}
        self._transcript_path = transcript_path
        self._transcript_lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="credential-forwarder", daemon=True)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._counter = 0
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> CredentialForwarder:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> asyncio.Server:
        return await asyncio.start_server(self._accept, "127.0.0.1", 0, limit=_HEAD_LIMIT)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self._counter += 1
        tag = f"conn{self._counter}"
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target, limit=_HEAD_LIMIT)
        except OSError as error:
            self._log(tag, "!!", f"cannot connect to {self._target}: {error}".encode())
            client_writer.close()
            self._connections.discard(task)
            return
        requests = asyncio.create_task(self._pump_requests(tag, client_reader, upstream_writer))
        responses = asyncio.create_task(self._pump_bytes(tag, upstream_reader, client_writer))
        try:
            await asyncio.wait({requests, responses}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in (requests, responses):
                pump.cancel()
            await asyncio.gather(requests, responses, return_exceptions=True)
            for writer in (client_writer, upstream_writer):
                writer.close()
            self._connections.discard(task)

    async def _pump_requests(self, tag: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Relay requests one by one: rewrite each head, then copy its body as framed."""
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # client closed the connection
            lines = head[:-4].split(b"\r\n")
            kept = [lines[0]] + [line for line in lines[1:] if line.split(b":", 1)[0].strip().lower() not in self._drop]
            added = [f"{name}: {value}".encode() for name, value in self._headers.items()]
            rewritten = b"\r\n".join(kept + added) + b"\r\n\r\n"
            writer.write(rewritten)
            self._log(tag, ">>", b"\r\n".join(kept) + b"\r\n(+ credential header)\r\n\r\n")
            fields = {
                line.split(b":", 1)[0].strip().lower(): line.split(b":", 1)[1].strip()
                for line in lines[1:]
                if b":" in line
            }
            if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
                await self._copy_chunked(tag, reader, writer)
            else:
                length = int(fields.get(b"content-length", b"0") or b"0")
                if length:
                    body = await reader.readexactly(length)
                    writer.write(body)
                    self._log(tag, ">>", body)
            await writer.drain()

    async def _copy_chunked(self, tag: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            writer.write(size_line)
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while True:  # trailers, ending with an empty line
                    trailer = await reader.readuntil(b"\r\n")
                    writer.write(trailer)
                    if trailer == b"\r\n":
                        return
            chunk = await reader.readexactly(size + 2)
            writer.write(chunk)
            self._log(tag, ">>", chunk[:-2])
            await writer.drain()

    async def _pump_bytes(self, tag: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        logged = 0
        while True:
            data = await reader.read(65536)
            if not data:
                return  # upstream closed the connection
            writer.write(data)
            await writer.drain()
            if logged < _TRANSCRIPT_BYTES_PER_DIRECTION:
                self._log(tag, "<<", data[: _TRANSCRIPT_BYTES_PER_DIRECTION - logged])
                logged += len(data)

    def _log(self, tag: str, direction: str, data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        with self._transcript_lock, open(self._transcript_path, "a") as transcript:
            transcript.write(f"[{time.monotonic():.3f}] {tag} {direction} {text}\n")


# ---------------------------------------------------------------- running the suite


@dataclass(frozen=True)
class CheckKey:
    """One verdict: the scenario, the check id, and which occurrence of that id (0-based)."""

    scenario: str
    check_id: str
    occurrence: int

    def __str__(self) -> str:
        suffix = f"#{self.occurrence}" if self.occurrence else ""
        return f"{self.scenario} / {self.check_id}{suffix}"


@dataclass
class SuiteRun:
    """One run of the conformance CLI against one URL."""

    label: str
    checks: dict[CheckKey, dict[str, Any]]
    info: dict[str, list[dict[str, Any]]]
    scenarios: list[str]
    output: str
    seconds: float

    def statuses(self) -> dict[CheckKey, str]:
        return {key: check["status"] for key, check in self.checks.items()}


def run_suite(
    label: str,
    node: Path,
    entry: Path,
    arguments: Sequence[str],
    url: str,
    out_dir: Path,
    timeout: float = 120.0,
) -> SuiteRun:
    """Run `node entry server --url url -o out_dir *arguments` and parse every scenario's checks.

    The CLI exits non-zero when any check fails, which is expected here (the
    scenarios' fixture tools are not all in server-everything), so the exit
    code is not an error; missing result files are.
    """
    argv = [str(node), str(entry), "server", "--url", url, "-o", str(out_dir), *arguments]
    started = time.monotonic()
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    seconds = time.monotonic() - started
    output = completed.stdout + completed.stderr
    (out_dir.parent / f"{out_dir.name}.out").write_text(output)
    checks, info, scenarios = parse_results(out_dir)
    if not scenarios:
        raise AssertionError(f"{label}: the suite wrote no results (exit {completed.returncode})\n{output[-4000:]}")
    return SuiteRun(label=label, checks=checks, info=info, scenarios=scenarios, output=output, seconds=seconds)


def parse_results(
    out_dir: Path,
) -> tuple[dict[CheckKey, dict[str, Any]], dict[str, list[dict[str, Any]]], list[str]]:
    """Verdict checks keyed by `CheckKey`, INFO entries per scenario, and the scenario names."""
    checks: dict[CheckKey, dict[str, Any]] = {}
    info: dict[str, list[dict[str, Any]]] = defaultdict(list)
    scenarios: list[str] = []
    for result_dir in sorted(path for path in out_dir.iterdir() if path.is_dir()):
        match = _RESULT_DIR.match(result_dir.name)
        if match is None:
            raise AssertionError(f"unexpected result directory {result_dir}")
        scenario = match["scenario"]
        if scenario in scenarios:
            raise AssertionError(f"scenario {scenario} has two result directories in {out_dir}")
        scenarios.append(scenario)
        seen: dict[str, int] = defaultdict(int)
        checks_file = result_dir / "checks.json"
        if checks_file.is_file():
            entries = json.loads(checks_file.read_text())
        else:  # the scenario crashed before writing its results: one failing pseudo-check
            entries = [{"id": "(no checks.json)", "status": "FAILURE", "errorMessage": "scenario wrote no results"}]
        for check in entries:
            status = check.get("status")
            if status == "INFO":
                info[scenario].append(check)
                continue
            if status not in VERDICT_STATUSES:
                raise AssertionError(f"{result_dir}: unknown check status {status!r} in {check}")
            key = CheckKey(scenario, str(check["id"]), seen[check["id"]])
            seen[check["id"]] += 1
            checks[key] = check
    return checks, dict(info), scenarios


# ---------------------------------------------------------------- comparing


def differences(
    direct: SuiteRun, through: SuiteRun, allowed_improvements: Mapping[tuple[str, str], str] | None = None
) -> tuple[list[CheckKey], list[CheckKey]]:
    """(differing, allowed): check keys whose status differs or that exist in only one run.

    A key whose `(scenario, check id)` is in `allowed_improvements` and that
    FAILS directly but SUCCEEDS through the gateway goes to `allowed` instead;
    any other change of such a check is still a difference.
    """
    allowed_names = allowed_improvements or {}
    left, right = direct.statuses(), through.statuses()
    differing: list[CheckKey] = []
    allowed: list[CheckKey] = []
    for key in sorted(left.keys() | right.keys(), key=lambda k: (k.scenario, k.check_id, k.occurrence)):
        before, after = left.get(key), right.get(key)
        if before == after:
            continue
        improvement = before == "FAILURE" and after == "SUCCESS"
        if improvement and (key.scenario, key.check_id) in allowed_names:
            allowed.append(key)
        else:
            differing.append(key)
    return differing, allowed


def describe_differences(direct: SuiteRun, through: SuiteRun, keys: Sequence[CheckKey]) -> str:
    """A readable report: one block per differing check, with both sides' message and details."""
    lines = [f"{len(keys)} check(s) differ between {direct.label} and {through.label}:"]
    for key in keys:
        lines.append(f"\n* {key}: {_status(direct, key)} {direct.label} vs {_status(through, key)} {through.label}")
        for run in (direct, through):
            check = run.checks.get(key)
            if check is None:
                continue
            message = check.get("errorMessage")
            details = json.dumps(check.get("details"), sort_keys=True)
            lines.append(f"    {run.label}: {message or '(no message)'}")
            lines.append(f"    {run.label} details: {details[:1500]}")
        for run in (direct, through):
            wire = run.info.get(key.scenario, [])
            if wire:
                lines.append(f"    {run.label} wire log of {key.scenario}:")
                lines.extend(f"      {entry['id']}: {json.dumps(entry.get('details'))[:600]}" for entry in wire[:12])
    return "\n".join(lines)


def summary_table(direct: SuiteRun, through: SuiteRun) -> str:
    """Per-scenario pass counts of both runs, for the test log."""
    rows = [f"{'scenario':48} {direct.label:>16} {through.label:>16}"]
    for scenario in sorted(set(direct.scenarios) | set(through.scenarios)):
        cells = [_counts(run, scenario) for run in (direct, through)]
        rows.append(f"{scenario:48} {cells[0]:>16} {cells[1]:>16}")
    return "\n".join(rows)


def _counts(run: SuiteRun, scenario: str) -> str:
    statuses = [check["status"] for key, check in run.checks.items() if key.scenario == scenario]
    if scenario not in run.scenarios:
        return "not run"
    return f"{statuses.count('SUCCESS')} ok/{len(statuses)}"


def _status(run: SuiteRun, key: CheckKey) -> str:
    check = run.checks.get(key)
    if check is not None:
        return str(check["status"])
    if any(entry.get("id") == key.check_id for entry in run.info.get(key.scenario, [])):
        return "INFO-only (not applicable)"
    return "ABSENT"
