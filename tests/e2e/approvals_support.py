"""Helpers for the approval and kill-switch end-to-end tests: a policy that
holds `everything.echo`, operators signed in through the admin API, waiting
for pending approvals, and restarting a gateway on its own data."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx2

from harness import start_process, stop_process, wait_for_http

ECHO_POLICY = Path(__file__).parent / "policies" / "echo_intercept"

POLICY_DENIED = -32010
APPROVAL_REJECTED = -32011
APPROVAL_TIMEOUT = -32012
APPROVAL_INTERRUPTED = -32015


def everything_upstream(cmd: list[str]) -> dict[str, Any]:
    return {"name": "everything", "command": cmd[0], "args": cmd[1:]}


def text_of(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


async def pending(gw, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Wait until at least `count` approvals are pending; newest first."""
    for _ in range(int(timeout / 0.1)):
        found = gw.admin_get("/v1/approvals?status=pending").json()["approvals"]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} approvals became pending")


def trace_events(gw, decision_id: str) -> list[dict[str, Any]]:
    response = gw.admin_get(f"/v1/trace/{decision_id}")
    assert response.status_code == 200, response.text
    return [e["event"] for e in response.json()["events"]]


class OperatorSession:
    """An operator signed in to the admin API with a console session."""

    def __init__(self, gw, name: str, role: str, groups: list[str] | None = None) -> None:
        password = f"pw-{name}-correct-horse"
        created = gw.admin_post(
            "/v1/operators", {"name": name, "role": role, "groups": groups or [], "password": password}
        )
        assert created.status_code in (200, 201), created.text
        self.gw = gw
        self.http = httpx2.Client(base_url=gw.admin_url, timeout=30.0)
        login = self.http.post("/v1/session", json={"name": name, "password": password})
        assert login.status_code in (200, 201), login.text
        self.csrf = login.json()["csrf_token"]

    def post(self, path: str, body: Any = None) -> httpx2.Response:
        return self.http.post(path, json=body, headers={"X-CSRF-Token": self.csrf})

    def close(self) -> None:
        self.http.close()


def restart(gw, behavry_bin: Path) -> None:
    """Stop the gateway (SIGTERM, graceful) and start it again on the same
    configuration and data directory."""
    stop_process(gw.proc)
    gw.proc = start_process([behavry_bin, "serve", "--config", gw.config_path], gw.log_path, cwd=gw.config_path.parent)
    wait_for_http(f"{gw.admin_url}/readyz", timeout=60, status=200, proc=gw.proc, log_path=gw.log_path)
