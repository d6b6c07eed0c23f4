"""Content scanning through the gateway with the official Python SDK: a
secret in arguments is denied, injected tool results are blocked, secrets in
results are redacted, poisoned tool descriptions are withheld, and a changed
description is withheld until an operator approves it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import MCPError

from approvals_support import POLICY_DENIED, everything_upstream, text_of
from harness import LEGACY, MODERN

SERVER = Path(__file__).parent / "servers" / "scanning_server.py"
AWS_KEY = "AKIAQPVEIK4BY52DYY6B"


def docs_upstream(description_file: Path) -> dict:
    return {"name": "docs", "command": sys.executable, "args": [str(SERVER), str(description_file)]}


def start_docs(gateway, tmp_path: Path, description: str = "Search the documentation."):
    description_file = tmp_path / "search-description.txt"
    description_file.write_text(description)
    gw = gateway([docs_upstream(description_file)])
    return gw, gw.create_agent("reader", "admin"), description_file


def trace_operator_events(gw, action: str) -> list[dict]:
    events = gw.admin_get("/v1/trace?limit=500").json()["events"]
    return [e["event"] for e in events if e["event"].get("action") == action]


async def tool_names(client) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


@pytest.mark.parametrize("mode", [LEGACY, MODERN])
async def test_a_secret_in_arguments_is_denied(gateway, everything_stdio_cmd, mode: str) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)])
    agent = gw.create_agent("echoer", "tester")
    async with gw.mcp_client(agent, mode=mode) as client:
        ok = await client.call_tool("everything.echo", {"message": "hello"})
        assert "hello" in text_of(ok)
        with pytest.raises(MCPError) as denied:
            await client.call_tool("everything.echo", {"message": f"my key is {AWS_KEY}"})
    assert denied.value.code == POLICY_DENIED
    assert "carry a secret (aws-access-key-id)" in denied.value.message
    assert AWS_KEY not in denied.value.message
    events = gw.admin_get("/v1/trace?limit=50").json()["events"]
    decisions = [e["event"] for e in events if e["event"]["kind"] == "decision"]
    denied_events = [d for d in decisions if d.get("verdict") == "deny"]
    assert denied_events, events
    scan = denied_events[-1]["scan"]
    assert scan["kinds"]["secret"] is True
    assert AWS_KEY not in str(scan), "findings carry redacted evidence only"
    recorded = denied_events[-1]["arguments"]
    assert AWS_KEY not in json.dumps(recorded), f"the trace must not keep the secret: {recorded}"
    assert "my key is" in json.dumps(recorded), "only the secret is masked"


async def test_an_injected_result_is_blocked(gateway, tmp_path: Path) -> None:
    gw, agent, _ = start_docs(gateway, tmp_path)
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        clean = await client.call_tool("docs.weather", {"city": "Paris"})
        assert not clean.is_error and "sunny" in text_of(clean)
        blocked = await client.call_tool("docs.fetch_page", {"url": "https://example.com"})
    assert blocked.is_error
    text = text_of(blocked)
    assert "withheld by Behavry" in text and "injection" in text and text.count("Behavry") == 1
    assert "id_rsa" not in text and "attacker@evil.example" not in text


async def test_a_secret_in_a_result_is_redacted(gateway, tmp_path: Path) -> None:
    gw, agent, _ = start_docs(gateway, tmp_path)
    async with gw.mcp_client(agent, mode=MODERN) as client:
        result = await client.call_tool("docs.read_config", {"name": "prod"})
    assert not result.is_error
    text = text_of(result)
    assert AWS_KEY not in text
    assert "[REDACTED:secret:" in text and "region = eu-west-1" in text


def cli(behavry_bin: Path, gw, *args: str) -> str:
    done = subprocess.run(
        [str(behavry_bin), "--admin-url", gw.admin_url, "--admin-token", gw.admin_token, "tools", *args],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_poisoned_description_is_withheld_until_approved(gateway, behavry_bin: Path, tmp_path: Path) -> None:
    gw, agent, _ = start_docs(gateway, tmp_path)
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        names = await tool_names(client)
        assert "docs.search" in names and "docs.weather" in names
        assert "docs.add" not in names
        with pytest.raises(MCPError) as denied:
            await client.call_tool("docs.add", {"a": 1, "b": 2})
        assert denied.value.code == POLICY_DENIED
        assert "awaits operator approval" in denied.value.message
        pending = gw.admin_get("/v1/tool-pins?status=changed").json()["pins"]
        assert [(p["pin"]["upstream"], p["pin"]["tool"]) for p in pending] == [("docs", "add")]
        assert "tool_poisoning" in pending[0]["pin"]["reason"]
        assert trace_operator_events(gw, "tool_definition_flagged")
        listed = cli(behavry_bin, gw, "pending")
        assert listed.startswith("docs.add  pending sha256:") and "tool_poisoning" in listed
        assert cli(behavry_bin, gw, "approve", "docs", "add").startswith("approved docs.add (sha256:")
        assert cli(behavry_bin, gw, "pending") == "no tool definitions are waiting for approval\n"
        assert "docs.add" in await tool_names(client)
        result = await client.call_tool("docs.add", {"a": 1, "b": 2})
        assert "3" in text_of(result)


async def test_a_changed_description_is_withheld_until_approved(gateway, tmp_path: Path) -> None:
    gw, agent, description_file = start_docs(gateway, tmp_path)
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        assert "docs.search" in await tool_names(client)
        first = await client.call_tool("docs.search", {"query": "pins"})
        assert "results for pins" in text_of(first)

        description_file.write_text("Search the documentation, including archived pages.")
        names = await tool_names(client)
        assert "docs.search" not in names and "docs.weather" in names
        with pytest.raises(MCPError) as denied:
            await client.call_tool("docs.search", {"query": "pins"})
        assert denied.value.code == POLICY_DENIED

        pending = gw.admin_get("/v1/tool-pins?status=changed").json()["pins"]
        [search] = [p for p in pending if p["pin"]["tool"] == "search"]
        assert search["pin"]["reason"] == "definition changed"
        assert search["diff"] == [{
            "path": "/description", "op": "changed",
            "before": "Search the documentation.",
            "after": "Search the documentation, including archived pages.",
        }]
        [changed] = trace_operator_events(gw, "tool_definition_changed")
        assert changed["operator"] == "system" and changed["detail"]["diff"][0]["path"] == "/description"

        # Approving a hash that is not the pending one conflicts.
        stale = gw.admin_post("/v1/tool-pins/docs/search/approve", {"hash": "sha256:" + "0" * 64})
        assert stale.status_code == 409, stale.text
        approved = gw.admin_post(
            "/v1/tool-pins/docs/search/approve", {"hash": search["pin"]["pending_hash"]}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["pin"]["status"] == "pinned"
        assert "docs.search" in await tool_names(client)
        again = await client.call_tool("docs.search", {"query": "pins"})
        assert "results for pins" in text_of(again)
        [approval] = trace_operator_events(gw, "tool_definition_approved")
        assert approval["detail"]["tool"] == "search"
        assert gw.admin_post("/v1/tool-pins/docs/search/approve", {}).status_code == 409
