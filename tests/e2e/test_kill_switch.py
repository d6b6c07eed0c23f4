"""Kill switches through the admin API, with real MCP clients in flight:
engaging stops the affected agent's next call and its held calls at once,
leaves other agents working, is traced with who and why, and can be
released. Also: only operators can touch it."""

from __future__ import annotations

import asyncio

import pytest
from mcp import MCPError

from approvals_support import (
    APPROVAL_REJECTED,
    ECHO_POLICY,
    POLICY_DENIED,
    OperatorSession,
    everything_upstream,
    pending,
    text_of,
)
from harness import LEGACY


def operator_events(gw) -> list[dict]:
    events = [e["event"] for e in gw.admin_get("/v1/trace?limit=500").json()["events"]]
    return [e for e in events if e["kind"] == "operator"]


async def test_agent_kill_stops_held_and_next_calls_only_for_that_agent(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)], policy_dir=ECHO_POLICY)
    rogue = gw.create_agent("rogue", "tester")
    steady = gw.create_agent("steady", "tester")
    alice = OperatorSession(gw, "alice", "approver")
    try:
        async with gw.mcp_client(rogue, mode=LEGACY) as r, gw.mcp_client(steady, mode=LEGACY) as s:
            held_rogue = asyncio.create_task(r.call_tool("everything.echo", {"message": "rogue"}))
            held_steady = asyncio.create_task(s.call_tool("everything.echo", {"message": "steady"}))
            await pending(gw, count=2)
            engaged = alice.post("/v1/kill", {"scope": "agent", "target": "rogue", "reason": "exfil suspected"})
            assert engaged.status_code == 200, engaged.text
            body = engaged.json()
            assert body["rejected_approvals"] == 1 and body["aborted_calls"] == 1
            with pytest.raises(MCPError) as aborted:
                await asyncio.wait_for(held_rogue, 10)
            assert aborted.value.code == APPROVAL_REJECTED
            assert "kill switch" in aborted.value.message and "exfil suspected" in aborted.value.message
            # The very next call of the killed agent is denied with the switch's reason.
            with pytest.raises(MCPError) as denied:
                await r.call_tool("everything.get-sum", {"a": 1, "b": 2})
            assert denied.value.code == POLICY_DENIED and "alice" in denied.value.message
            # The other agent keeps working, and its held call is untouched.
            assert "3" in text_of(await s.call_tool("everything.get-sum", {"a": 1, "b": 2}))
            [still] = gw.admin_get("/v1/approvals?status=pending").json()["approvals"]
            assert still["agent_name"] == "steady"
            assert gw.admin_post(f"/v1/approvals/{still['id']}/approve").status_code == 200
            assert "steady" in text_of(await asyncio.wait_for(held_steady, 30))

            switch_id = body["switch"]["id"]
            assert [k["id"] for k in gw.admin_get("/v1/kill").json()["switches"]] == [switch_id]
            released = alice.http.delete(f"/v1/kill/{switch_id}", headers={"X-CSRF-Token": alice.csrf})
            assert released.status_code == 200, released.text
            assert "3" in text_of(await r.call_tool("everything.get-sum", {"a": 1, "b": 2}))
    finally:
        alice.close()
    actions = [(e["action"], e["operator"], e.get("reason")) for e in operator_events(gw)]
    assert ("kill_engaged", "alice", "exfil suspected") in actions
    assert ("kill_released", "alice", None) in actions


async def test_global_and_tool_scopes(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)], policy_dir=ECHO_POLICY)
    agent = gw.create_agent("worker", "tester")
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        tool = gw.admin_post("/v1/kill", {"scope": "tool", "target": "everything.get-*", "reason": "bad tool"})
        assert tool.status_code == 200, tool.text
        with pytest.raises(MCPError) as denied:
            await client.call_tool("everything.get-sum", {"a": 1, "b": 2})
        assert "bad tool" in denied.value.message
        # Other tools still reach policy (echo is held as usual).
        held = asyncio.create_task(client.call_tool("everything.echo", {"message": "x"}))
        await pending(gw)
        everything = gw.admin_post("/v1/kill", {"scope": "global", "reason": "incident 4711"})
        assert everything.json()["aborted_calls"] == 1
        with pytest.raises(MCPError):
            await asyncio.wait_for(held, 10)
        with pytest.raises(MCPError) as stopped:
            await client.call_tool("everything.echo", {"message": "y"})
        assert "incident 4711" in stopped.value.message
        for switch in gw.admin_get("/v1/kill").json()["switches"]:
            assert gw.admin_request("DELETE", f"/v1/kill/{switch['id']}").status_code == 200
        assert "3" in text_of(await client.call_tool("everything.get-sum", {"a": 1, "b": 2}))


async def test_only_operators_with_a_role_may_engage(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)], policy_dir=ECHO_POLICY)
    agent = gw.create_agent("worker", "tester")
    body = {"scope": "global", "reason": "no"}
    with_agent = gw.http.post(gw.admin_url + "/v1/kill", json=body, headers={"Authorization": f"Bearer {agent}"})
    assert with_agent.status_code == 401, "an agent credential is not an operator"
    viewer = OperatorSession(gw, "victor", "viewer")
    try:
        assert viewer.post("/v1/kill", body).status_code == 403
        no_csrf = viewer.http.post("/v1/kill", json=body)
        assert no_csrf.status_code in (401, 403)
    finally:
        viewer.close()
    assert gw.admin_post("/v1/kill", {"scope": "agent", "reason": "x"}).status_code == 400
    assert gw.admin_post("/v1/kill", {"scope": "global", "target": "x", "reason": "x"}).status_code == 400
    assert gw.admin_post("/v1/kill", {"scope": "planet", "reason": "x"}).status_code in (400, 422)
    assert gw.admin_get("/v1/kill").json()["switches"] == []
