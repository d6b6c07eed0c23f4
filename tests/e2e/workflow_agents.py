"""Helpers for the multi-agent workflow end-to-end tests: a gateway in front
of the demo `database` and `email` servers with three agents (orchestrator,
researcher, mailer), the agent workflow API, offline delegation through the
`behavry workflow delegate` CLI, workflow `_meta`, the e-mail outbox the
upstream writes, and the Decision Trace read back through the admin API."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

META_KEY = "io.behavry/workflow"
POLICY_DENIED = -32010
APPROVAL_REJECTED = -32011
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")

# Both are `writer`s (data.json): their role alone lets them query the
# database and send e-mail, so whatever stops them below is the workflow.
AGENT_ROLES = {"orchestrator": "writer", "researcher": "writer", "mailer": "writer"}

# The classification the flow rule works from, and no behavioural baseline:
# a fresh agent's first e-mail must not be held for being new.
RISK = {"enabled": False, "sensitive_tools": ["database.query"], "outbound_tools": ["email.send"]}

START = {
    "purpose": "weekly customer report",
    "scope": {"tools": ["database.*", "email.send"], "resources": ["*"], "flags": ["outbound"]},
    "ttl_secs": 1800,
    "budgets": {"calls": 20, "emails_sent": 2},
}


@dataclass
class Deployment:
    """A gateway with the demo database and e-mail upstreams and three agents."""

    gw: Any
    behavry_bin: Path
    outbox: Path
    credentials: dict[str, str]

    @property
    def base_url(self) -> str:
        return self.gw.mcp_url.removesuffix("/mcp")

    def client(self, agent: str, headers: dict[str, str] | None = None) -> Any:
        """An official-SDK MCP client authenticated as `agent` (extra HTTP `headers` on every request)."""
        return self.gw.mcp_client(self.credentials[agent], headers=headers)

    def agent_request(self, agent: str, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self.credentials[agent]}"}
        return httpx2.request(method, self.base_url + path, headers=headers, timeout=30.0, **kwargs)

    def start_workflow(self, agent: str, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /workflows` with the agent's own credential; asserts 201."""
        response = self.agent_request(agent, "POST", "/workflows", json=body)
        assert response.status_code == 201, f"start failed: {response.status_code} {response.text}"
        return response.json()

    def public_key(self, agent: str) -> str:
        response = self.agent_request(agent, "GET", "/workflows/public-key")
        assert response.status_code == 200, response.text
        key = response.json()["public_key"]
        assert key.startswith("ed25519/"), key
        return key

    def delegate(self, token: str, public_key: str, to: str, tools: list[str], *,
                 resources: list[str] = (), flags: list[str] = ()) -> str:
        """`behavry workflow delegate`, offline: the token travels in the
        environment, never on the command line."""
        argv = [str(self.behavry_bin), "workflow", "delegate", "--public-key", public_key, "--to", to,
                "--tools", ",".join(tools), "--ttl", "15m"]
        if resources:
            argv += ["--resources", ",".join(resources)]
        if flags:
            argv += ["--flags", ",".join(flags)]
        env = {**os.environ, "BEHAVRY_WORKFLOW_TOKEN": token}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 0, f"delegate to {to} failed ({done.returncode}): {done.stderr}"
        delegated = done.stdout.strip()
        assert delegated and delegated != token, done.stderr
        return delegated

    def outbox_messages(self) -> list[dict[str, Any]]:
        """What the e-mail upstream actually sent (its own append-only record)."""
        if not self.outbox.exists():
            return []
        return [json.loads(line) for line in self.outbox.read_text().splitlines() if line.strip()]

    def decision(self, decision_id: str) -> dict[str, Any]:
        """The Decision event of one decision, from `GET /v1/trace/{id}`."""
        response = self.gw.admin_get(f"/v1/trace/{decision_id}")
        assert response.status_code == 200, response.text
        events = [e["event"] for e in response.json()["events"]]
        decisions = [e for e in events if e["kind"] == "decision"]
        assert len(decisions) == 1, events
        return decisions[0]

    def events_of(self, decision_id: str) -> list[dict[str, Any]]:
        response = self.gw.admin_get(f"/v1/trace/{decision_id}")
        assert response.status_code == 200, response.text
        return [e["event"] for e in response.json()["events"]]

    def workflow_decisions(self, workflow_id: str) -> list[dict[str, Any]]:
        """Every Decision event recorded with `workflow.id == workflow_id`, oldest first."""
        response = self.gw.admin_get("/v1/trace?limit=1000")
        assert response.status_code == 200, response.text
        events = [e["event"] for e in response.json()["events"]]
        return [
            e for e in events
            if e["kind"] == "decision" and (e.get("workflow") or {}).get("id") == workflow_id
        ]

    def trace_workflow_cli(self, workflow_id: str) -> subprocess.CompletedProcess[str]:
        """`behavry trace workflow ID --json` against this gateway's admin API."""
        argv = [str(self.behavry_bin), "--admin-url", self.gw.admin_url, "trace", "workflow", workflow_id, "--json"]
        env = {**os.environ, "BEHAVRY_ADMIN_TOKEN": self.gw.admin_token}
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


def deploy(gateway: Any, demo_server_http: Any, behavry_bin: Path, tmp_path: Path,
           approvals_timeout_secs: int = 30) -> Deployment:
    """Start the demo upstreams, the gateway and the three agents."""
    database = demo_server_http("database", tmp_path / "database-data")
    email_dir = tmp_path / "email-data"
    email = demo_server_http("email", email_dir)
    gw = gateway(
        [{"name": "database", "url": database.url}, {"name": "email", "url": email.url}],
        approvals_timeout_secs=approvals_timeout_secs,
        extra={"risk": RISK},
    )
    credentials = {name: gw.create_agent(name, role) for name, role in AGENT_ROLES.items()}
    return Deployment(gw=gw, behavry_bin=behavry_bin, outbox=email_dir / "outbox.jsonl", credentials=credentials)


def present(token: str, traceparent: str | None = None) -> dict[str, Any]:
    """Request `_meta` presenting a workflow token (and trace context)."""
    meta: dict[str, Any] = {META_KEY: {"token": token}}
    if traceparent is not None:
        meta["traceparent"] = traceparent
    return meta


def workflow_meta(result: Any) -> dict[str, Any]:
    """`_meta["io.behavry/workflow"]` of a tool result: {id, decision_id, traceparent}."""
    meta = (result.meta or {}).get(META_KEY)
    assert isinstance(meta, dict), f"no workflow _meta on the result: {result.meta}"
    assert TRACEPARENT.match(meta.get("traceparent", "")), meta
    return meta


def text_of(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def reason_messages(reasons: list[Any]) -> list[str]:
    return [r["message"] if isinstance(r, dict) else str(r) for r in reasons]


def chain_agents(decision: dict[str, Any]) -> list[str]:
    return [hop["agent_id"] for hop in decision["workflow"]["chain"]]
