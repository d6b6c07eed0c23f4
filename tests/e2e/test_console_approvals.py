"""Approvals decided in the operator console by a real browser (Debian's
chromium driven by playwright-core) while an MCP client waits on the held
call: approve once, deny with a reason, edit then approve, approve for a
scope, timeout, two-of-N approvers, and a viewer who may look but not decide.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mcp import MCPError

from console_browser import (
    APPROVAL_REJECTED,
    APPROVAL_TIMEOUT,
    add_operator,
    artifacts_for,
    browser,
    write_policy,
)
from harness import LEGACY


def start(gateway: Any, cmd: list[str], tmp_path: Any, **options: Any) -> tuple[Any, str]:
    gw = gateway([{"name": "everything", "command": cmd[0], "args": cmd[1:]}], policy_dir=write_policy(tmp_path / "policy"), **options)
    created = gw.admin_post("/v1/agents", {"name": "tester-1", "role": "tester", "owner": "data-team"})
    assert created.status_code == 201, created.text
    return gw, created.json()["credential"]


async def wait_pending(gw: Any, tool: str, timeout: float = 15.0) -> dict[str, Any]:
    for _ in range(int(timeout / 0.1)):
        for approval in gw.admin_get("/v1/approvals?status=pending").json()["approvals"]:
            if approval["tool"] == tool:
                return approval
        await asyncio.sleep(0.1)
    raise AssertionError(f"no pending approval for {tool}")


def approval_events(gw: Any, decision_id: str) -> list[dict[str, Any]]:
    events = gw.admin_get(f"/v1/trace/{decision_id}").json()["events"]
    return [e["event"] for e in events if e["event"]["kind"] == "approval"]


async def test_approve_once_in_the_browser_releases_the_call(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path)
    alice = add_operator(gw, "alice", "approver")
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.echo", {"message": "the secret is 42"}))
        approval = await wait_pending(gw, "echo")
        seen = await browser("decide", gw, alice, tool="echo", action="approve", artifacts=artifacts_for(request), shots="approve")
        result = await asyncio.wait_for(call, 30)
    assert not result.is_error
    assert "the secret is 42" in result.content[0].text
    assert "Approved" in seen["message"]
    for fact in ("tester-1", "data-team", "everything.echo"):
        assert fact in seen["facts"], f"{fact} missing from the decision view"
    assert "the secret is 42" in seen["arguments"]
    events = approval_events(gw, approval["decision_id"])
    assert events and events[-1]["action"] == "approved" and events[-1]["operator"] == "alice"


async def test_deny_in_the_browser_sends_the_reason(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path)
    alice = add_operator(gw, "alice", "approver")
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.get-env", {}))
        await wait_pending(gw, "get-env")
        seen = await browser("decide", gw, alice, tool="get-env", action="deny", reason="not during the freeze", artifacts=artifacts_for(request), shots="deny")
        with pytest.raises(MCPError) as rejected:
            await asyncio.wait_for(call, 30)
    assert rejected.value.code == APPROVAL_REJECTED
    assert "not during the freeze" in rejected.value.message
    assert "Denied" in seen["message"]


async def test_edit_then_approve_forwards_the_edited_call(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path)
    alice = add_operator(gw, "alice", "approver")
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.echo", {"message": "the secret is 42"}))
        approval = await wait_pending(gw, "echo")
        await browser("decide", gw, alice, tool="echo", action="edit", arguments={"message": "nothing to see"}, artifacts=artifacts_for(request), shots="edit")
        result = await asyncio.wait_for(call, 30)
    assert not result.is_error
    text = result.content[0].text
    assert "nothing to see" in text and "secret" not in text, text
    decided = gw.admin_get(f"/v1/approvals/{approval['id']}").json()["approval"]
    assert decided["status"] == "approved"
    assert decided["edited_arguments"] == {"message": "nothing to see"}


async def test_approve_for_a_scope_lets_matching_calls_through(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path)
    alice = add_operator(gw, "alice", "approver")
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.echo", {"message": "secret one"}))
        await wait_pending(gw, "echo")
        await browser("decide", gw, alice, tool="echo", action="scope", ttl_secs=3600, argument_pattern="secret (one|two)", artifacts=artifacts_for(request), shots="scope")
        first = await asyncio.wait_for(call, 30)
        assert "secret one" in first.content[0].text
        second = await asyncio.wait_for(client.call_tool("everything.echo", {"message": "secret two"}), 10)
        assert "secret two" in second.content[0].text, "covered by the grant: no new approval"
        third = asyncio.create_task(client.call_tool("everything.echo", {"message": "secret three"}))
        outside = await wait_pending(gw, "echo")
        assert outside["arguments"] == {"message": "secret three"}, "the pattern limits the grant"
        gw.admin_post(f"/v1/approvals/{outside['id']}/deny", {"reason": "outside the grant"})
        with pytest.raises(MCPError):
            await asyncio.wait_for(third, 30)
    grants = gw.admin_get("/v1/grants").json()["grants"]
    assert len(grants) == 1 and grants[0]["created_by"] == "alice"


async def test_timeout_shows_the_approval_as_expired(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path, approvals_timeout_secs=2)
    alice = add_operator(gw, "alice", "approver")
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        with pytest.raises(MCPError) as timed_out:
            await asyncio.wait_for(client.call_tool("everything.get-env", {}), 30)
    assert timed_out.value.code == APPROVAL_TIMEOUT
    seen = await browser("view", gw, alice, tool="get-env", status="expired", artifacts=artifacts_for(request), shots="expired")
    assert not seen["decide_visible"], "an expired approval cannot be decided"
    assert seen["approve_buttons"] == 0


async def test_two_approvers_are_needed_by_the_rule(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    rule = {"name": "echo-two", "tools": ["everything.echo"], "approvers_group": "finance", "required_approvals": 2, "timeout_secs": 60}
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path, extra={"approvals": {"rules": [rule]}})
    alice = add_operator(gw, "alice", "approver", ["finance"])
    bob = add_operator(gw, "bob", "approver", ["finance"])
    artifacts = artifacts_for(request)
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.echo", {"message": "secret payroll"}))
        approval = await wait_pending(gw, "echo")
        first = await browser("decide", gw, alice, tool="echo", action="approve", artifacts=artifacts, shots="first-vote")
        assert "1 of 2" in first["message"], first["message"]
        await asyncio.sleep(0.5)
        assert not call.done(), "one approval of two does not release the call"
        await browser("decide", gw, bob, tool="echo", action="approve", artifacts=artifacts, shots="second-vote")
        result = await asyncio.wait_for(call, 30)
    assert "secret payroll" in result.content[0].text
    votes = gw.admin_get(f"/v1/approvals/{approval['id']}").json()["approval"]["votes"]
    assert sorted(v["operator"] for v in votes) == ["alice", "bob"]


async def test_a_viewer_sees_the_decision_view_but_cannot_decide(request, gateway, everything_stdio_cmd, tmp_path) -> None:
    gw, credential = start(gateway, everything_stdio_cmd, tmp_path)
    vera = add_operator(gw, "vera", "viewer")
    async with gw.mcp_client(credential, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.get-env", {}))
        approval = await wait_pending(gw, "get-env")
        seen = await browser("view", gw, vera, tool="get-env", artifacts=artifacts_for(request), shots="viewer")
        assert seen["approve_buttons"] == 0
        assert "not decide" in seen["decide_text"]
        assert "environment access needs approval" in seen["reasons"]
        gw.admin_post(f"/v1/approvals/{approval['id']}/deny", {"reason": "cleanup"})
        with pytest.raises(MCPError):
            await asyncio.wait_for(call, 30)
