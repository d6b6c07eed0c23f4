"""The console's pages in a real browser: every main page renders its key
content without a console error or a failed request (screenshots of each,
wide and narrow), live decisions stream in, and the kill switch engaged from
the console blocks an agent's calls."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mcp import MCPError

from console_browser import add_operator, artifacts_for, browser, live_browser, write_policy
from harness import LEGACY


def start(gateway: Any, cmd: list[str], tmp_path: Any) -> tuple[Any, str]:
    gw = gateway([{"name": "everything", "command": cmd[0], "args": cmd[1:]}], policy_dir=write_policy(tmp_path / "policy"))
    created = gw.admin_post("/v1/agents", {"name": "tester-1", "role": "tester", "owner": "data-team"})
    assert created.status_code == 201, created.text
    return gw, created.json()["credential"]


async def test_main_pages_render_cleanly(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path)
    add_operator(gw, "alice", "approver", ["finance"])
    analyst = gw.create_agent("analyst-1", "analyst")
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        await client.call_tool("everything.echo", {"message": "hello"})
        held = asyncio.create_task(client.call_tool("everything.get-env", {}))
        pending = None
        for _ in range(150):
            found = gw.admin_get("/v1/approvals?status=pending").json()["approvals"]
            if found:
                pending = found[0]
                break
            await asyncio.sleep(0.1)
        assert pending is not None
        async with gw.mcp_client(analyst, mode=LEGACY) as other:
            with pytest.raises(MCPError):
                await other.call_tool("everything.echo", {"message": "denied"})
        seen = await browser(
            "tour",
            gw,
            {"admin_token": gw.admin_token},
            artifacts=artifacts_for(request),
            decision_id=pending["decision_id"],
            approval_id=pending["id"],
        )
        gw.admin_post(f"/v1/approvals/{pending['id']}/deny", {"reason": "tour over"})
        with pytest.raises(MCPError):
            await asyncio.wait_for(held, 30)
    shots = seen["screenshots"]
    for page in ("overview", "live", "approvals", "agents", "policies", "trace", "kill", "operators", "record", "approval", "narrow"):
        assert shots.get(page), f"no screenshot of {page}"
    assert seen["narrow_nav_visible"], "on a phone-sized screen the navigation stays reachable"


async def test_live_decisions_stream_into_the_page(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path)
    alice = add_operator(gw, "alice", "viewer")
    watcher = await live_browser("live", gw, alice, tool="get-sum", artifacts=artifacts_for(request))
    await watcher.ready()
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        result = await client.call_tool("everything.get-sum", {"a": 1, "b": 2})
        assert not result.is_error
        await client.call_tool("everything.echo", {"message": "hello"})
    seen = await watcher.result()
    assert seen["verdict"] == "allow"


async def test_kill_switch_from_the_console_blocks_the_agent(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path)
    alice = add_operator(gw, "alice", "approver")
    seen = await browser("kill", gw, alice, scope="agent", target="tester-1", reason="runaway loop", hold=True, artifacts=artifacts_for(request))
    assert "engaged" in seen["banner"].lower()
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        with pytest.raises(MCPError):
            await client.call_tool("everything.echo", {"message": "blocked"})
    switches = gw.admin_get("/v1/kill").json()["switches"]
    assert [(s["scope"], s["target"], s["engaged_by"]) for s in switches] == [("agent", "tester-1", "alice")]
    released = gw.admin_request("DELETE", f"/v1/kill/{switches[0]['id']}")
    assert released.status_code in (200, 204), released.text
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        result = await client.call_tool("everything.echo", {"message": "free again"})
        assert "free again" in result.content[0].text
