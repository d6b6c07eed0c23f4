"""The official Python SDK through Behavry to real MCP servers: allow, deny,
intercept (approve / reject / timeout), in both protocol eras, over stdio and
HTTP upstreams. Every decision must be in the Decision Trace."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mcp import MCPError

from harness import AUTO, LEGACY, MODERN

POLICY_DENIED = -32010
APPROVAL_REJECTED = -32011
APPROVAL_TIMEOUT = -32012


def everything_upstream(cmd: list[str]) -> dict[str, Any]:
    return {"name": "everything", "command": cmd[0], "args": cmd[1:]}


def trace_for(gw, decision_id: str) -> list[dict[str, Any]]:
    response = gw.admin_get(f"/v1/trace/{decision_id}")
    assert response.status_code == 200, response.text
    return [e["event"] for e in response.json()["events"]]


def latest_decision(gw, tool: str) -> dict[str, Any]:
    events = [e["event"] for e in gw.admin_get("/v1/trace?limit=200").json()["events"]]
    decisions = [e for e in events if e["kind"] == "decision" and e["tool"] == tool]
    assert decisions, f"no decision for {tool} in {events}"
    return decisions[-1]


async def pending_approval(gw, timeout: float = 15.0) -> dict[str, Any]:
    for _ in range(int(timeout / 0.1)):
        pending = gw.admin_get("/v1/approvals?status=pending").json()["approvals"]
        if pending:
            return pending[0]
        await asyncio.sleep(0.1)
    raise AssertionError("no approval became pending")


@pytest.mark.parametrize("mode", [LEGACY, AUTO])
async def test_allow_and_deny_are_enforced_and_traced(gateway, everything_stdio_cmd, mode: str) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)])
    tester = gw.create_agent("tester-1", "tester")
    analyst = gw.create_agent("analyst-1", "analyst")

    async with gw.mcp_client(tester, mode=mode) as client:
        assert client.protocol_version == ("2025-11-25" if mode == LEGACY else MODERN)
        result = await client.call_tool("everything.echo", {"message": "through behavry"})
        assert not result.is_error
        assert "through behavry" in result.content[0].text
    allowed = latest_decision(gw, "echo")
    assert allowed["verdict"] == "allow"
    assert allowed["agent"]["name"] == "tester-1"
    assert allowed["upstream"] == "everything"
    kinds = [e["kind"] for e in trace_for(gw, allowed["decision_id"])]
    assert kinds[0] == "decision"

    async with gw.mcp_client(analyst, mode=mode) as client:
        with pytest.raises(MCPError) as denied:
            await client.call_tool("everything.echo", {"message": "not for analysts"})
    assert denied.value.code == POLICY_DENIED
    decision_id = denied.value.data["decision_id"]
    events = trace_for(gw, decision_id)
    assert events[0]["verdict"] == "deny"
    assert events[0]["agent"]["name"] == "analyst-1"
    assert events[0]["reasons"], "a deny carries its reasons"


@pytest.mark.parametrize("mode", [LEGACY, MODERN])
async def test_intercept_then_approve_forwards_the_call(gateway, everything_stdio_cmd, mode: str) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)])
    tester = gw.create_agent("tester-1", "tester")
    async with gw.mcp_client(tester, mode=mode) as client:
        call = asyncio.create_task(client.call_tool("everything.get-env", {}))
        approval = await pending_approval(gw)
        assert approval["agent_name"] == "tester-1"
        assert approval["upstream"] == "everything" and approval["tool"] == "get-env"
        assert not call.done(), "the call is held while the approval is pending"
        response = gw.admin_post(f"/v1/approvals/{approval['id']}/approve", {"reason": "on call"})
        assert response.status_code == 200, response.text
        result = await asyncio.wait_for(call, 30)
        assert not result.is_error
    kinds = [e["kind"] for e in trace_for(gw, approval["decision_id"])]
    assert kinds[:2] == ["decision", "approval"]
    events = trace_for(gw, approval["decision_id"])
    assert events[0]["verdict"] == "intercept"
    assert events[1]["action"] == "approved"
    for _ in range(50):
        if any(e["kind"] == "outcome" for e in trace_for(gw, approval["decision_id"])):
            break
        await asyncio.sleep(0.1)
    outcome = [e for e in trace_for(gw, approval["decision_id"]) if e["kind"] == "outcome"]
    assert outcome and outcome[0]["status"] == "completed"


async def test_intercept_then_reject_returns_the_reason(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)])
    tester = gw.create_agent("tester-1", "tester")
    async with gw.mcp_client(tester, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.get-env", {}))
        approval = await pending_approval(gw)
        response = gw.admin_post(f"/v1/approvals/{approval['id']}/deny", {"reason": "env holds secrets"})
        assert response.status_code == 200, response.text
        with pytest.raises(MCPError) as rejected:
            await asyncio.wait_for(call, 30)
    assert rejected.value.code == APPROVAL_REJECTED
    assert "env holds secrets" in rejected.value.message
    again = gw.admin_post(f"/v1/approvals/{approval['id']}/approve")
    assert again.status_code == 409, "a decided approval cannot be decided again"


async def test_intercept_times_out_to_deny(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)], approvals_timeout_secs=2)
    tester = gw.create_agent("tester-1", "tester")
    async with gw.mcp_client(tester, mode=LEGACY) as client:
        with pytest.raises(MCPError) as timed_out:
            await client.call_tool("everything.get-env", {})
    assert timed_out.value.code == APPROVAL_TIMEOUT
    expired = gw.admin_get("/v1/approvals?status=expired").json()["approvals"]
    assert len(expired) == 1
    actions = [e.get("action") for e in trace_for(gw, expired[0]["decision_id"])]
    assert "expired" in actions


@pytest.mark.parametrize("mode", [LEGACY, AUTO])
async def test_http_upstream_in_both_eras(gateway, everything_http, mode: str) -> None:
    gw = gateway([{"name": "everything", "url": everything_http.url}])
    tester = gw.create_agent("tester-1", "tester")
    async with gw.mcp_client(tester, mode=mode) as client:
        result = await client.call_tool("everything.get-sum", {"a": 20, "b": 22})
        assert "42" in result.content[0].text


async def test_progress_and_sampling_pass_through(gateway, everything_stdio_cmd) -> None:
    from mcp_types import CreateMessageResult, TextContent

    gw = gateway([everything_upstream(everything_stdio_cmd)])
    tester = gw.create_agent("tester-1", "tester")
    prompts: list[str] = []

    async def sampling(context: Any, params: Any) -> CreateMessageResult:
        prompts.append(params.messages[0].content.text)
        return CreateMessageResult(role="assistant", content=TextContent(type="text", text="sampled answer"), model="scripted")

    async with gw.mcp_client(tester, mode=LEGACY, sampling_callback=sampling) as client:
        steps: list[float] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            steps.append(progress)

        result = await client.call_tool(
            "everything.trigger-long-running-operation", {"duration": 1, "steps": 3}, progress_callback=on_progress
        )
        assert not result.is_error
        assert len(steps) == 3, steps

        sampled = await client.call_tool("everything.trigger-sampling-request", {"prompt": "hello", "maxTokens": 5})
        assert not sampled.is_error
        assert "sampled answer" in str(sampled.content)
        assert prompts and "hello" in prompts[0]
