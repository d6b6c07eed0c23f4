"""Helpers for the console browser tests: a policy set that intercepts what
the tests need, operators, and running a scenario of
tests/browser/console.mjs (playwright-core driving Debian's chromium).

Screenshots are written to tests/artifacts/console/<test name>/.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from harness import NODE_MODULES, REPO

BROWSER_SCRIPT = REPO / "tests" / "browser" / "console.mjs"
ARTIFACTS = REPO / "tests" / "artifacts" / "console"
CHROMIUM = Path(os.environ.get("BEHAVRY_CHROMIUM", "/usr/bin/chromium"))
PASSWORD = "correct horse battery staple"

APPROVAL_REJECTED = -32011
APPROVAL_TIMEOUT = -32012

# Intercepts `echo` when the message mentions a secret and every `get-env`;
# allows everything else for testers. Editing "secret" out of an echo makes
# the edited call allowed when policy evaluates it again.
POLICY = """package behavry
import rego.v1

decision := {"result": "intercept", "reasons": ["echoing a secret needs approval"]} if {
\tinput.call.tool == "echo"
\tcontains(input.call.arguments.message, "secret")
} else := {"result": "intercept", "reasons": ["environment access needs approval"]} if {
\tinput.call.tool == "get-env"
} else := {"result": "allow", "reasons": ["testers may call everything"]} if {
\tinput.agent.role == "tester"
} else := {"result": "deny", "reasons": ["no rule allows this call"]}
"""


def require_browser() -> None:
    """Fail (never skip) when the browser test dependencies are missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup-test-deps.sh (apt package chromium)", pytrace=False)
    if not (NODE_MODULES / "playwright-core" / "index.js").exists():
        pytest.fail("playwright-core is missing: run scripts/setup-test-deps.sh", pytrace=False)


def write_policy(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "console_test.rego").write_text(POLICY)
    return directory


def add_operator(gw: Any, name: str, role: str, groups: list[str] | None = None) -> dict[str, str]:
    response = gw.admin_post("/v1/operators", {"name": name, "role": role, "groups": groups or [], "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"name": name, "password": PASSWORD}


def artifacts_for(request: pytest.FixtureRequest) -> Path:
    path = ARTIFACTS / request.node.name.replace("[", "-").replace("]", "")
    shutil.rmtree(path, ignore_errors=True)
    return path


async def browser(scenario: str, gw: Any, login: dict[str, str], timeout: float = 90, **params: Any) -> dict[str, Any]:
    """Run one scenario to the end; fails the test with the page's problems."""
    proc = await _start(scenario, gw, login, params)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return _result(scenario, proc.returncode, out, err)


class LiveBrowser:
    """A scenario that reports `{"ready": true}` first and finishes later."""

    def __init__(self, proc: asyncio.subprocess.Process, scenario: str) -> None:
        self.proc = proc
        self.scenario = scenario

    async def ready(self, timeout: float = 60) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if json.loads(line or b"{}").get("ready") is not True:
            out, err = await self.proc.communicate()
            _result(self.scenario, self.proc.returncode, line + out, err)
            pytest.fail(f"browser scenario {self.scenario} did not get ready: {line!r}")

    async def result(self, timeout: float = 60) -> dict[str, Any]:
        out, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        return _result(self.scenario, self.proc.returncode, out, err)


async def live_browser(scenario: str, gw: Any, login: dict[str, str], **params: Any) -> LiveBrowser:
    return LiveBrowser(await _start(scenario, gw, login, params), scenario)


async def _start(scenario: str, gw: Any, login: dict[str, str], params: dict[str, Any]) -> asyncio.subprocess.Process:
    require_browser()
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` is not on PATH", pytrace=False)
    payload = {"base_url": gw.admin_url, "login": login, "chromium": str(CHROMIUM), **params}
    if "artifacts" in payload:
        payload["artifacts"] = str(payload["artifacts"])
    proc = await asyncio.create_subprocess_exec(
        node,
        str(BROWSER_SCRIPT),
        scenario,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(payload).encode())
    proc.stdin.close()
    return proc


def _result(scenario: str, code: int | None, out: bytes, err: bytes) -> dict[str, Any]:
    lines = [line for line in out.decode(errors="replace").splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        result = {}
    if code != 0 or not result.get("ok"):
        pytest.fail(
            f"browser scenario {scenario} failed (exit {code}):\n{result.get('error') or out.decode(errors='replace')}\n"
            f"page problems: {result.get('problems')}\nstderr: {err.decode(errors='replace')[-3000:]}",
            pytrace=False,
        )
    return result
