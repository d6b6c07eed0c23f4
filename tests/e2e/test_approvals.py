"""Human approval through the admin API with a real MCP client (official
Python SDK) and the reference `everything` server: edit-and-approve,
approve-for-scope, N-of-M, de-duplication, flood limits, default outcomes,
restart survival and signed notifications."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from mcp import MCPError

from approvals_support import (
    APPROVAL_INTERRUPTED,
    APPROVAL_REJECTED,
    ECHO_POLICY,
    POLICY_DENIED,
    OperatorSession,
    everything_upstream,
    pending,
    restart,
    text_of,
    trace_events,
)
from harness import LEGACY


def start(gateway, cmd, **approvals: Any):
    extra = {"approvals": approvals} if approvals else None
    gw = gateway([everything_upstream(cmd)], policy_dir=ECHO_POLICY, extra=extra)
    return gw, gw.create_agent("echoer", "tester")


async def test_edit_then_approve_forwards_the_edited_call(gateway, everything_stdio_cmd) -> None:
    gw, agent = start(gateway, everything_stdio_cmd)
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.echo", {"message": "rm everything"}))
        [approval] = await pending(gw)
        assert approval["arguments"] == {"message": "rm everything"}
        assert approval["agent_name"] == "echoer" and approval["rule"]["name"] == "default"
        response = gw.admin_post(
            f"/v1/approvals/{approval['id']}/approve", {"arguments": {"message": "list only"}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == "approved"
        result = await asyncio.wait_for(call, 30)
    assert "list only" in text_of(result) and "rm everything" not in text_of(result)
    actions = [e.get("action") for e in trace_events(gw, approval["decision_id"])]
    assert "approved" in actions


async def test_an_edit_the_policy_denies_rejects_the_call(gateway, everything_stdio_cmd) -> None:
    gw, agent = start(gateway, everything_stdio_cmd)
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.echo", {"message": "hello"}))
        [approval] = await pending(gw)
        response = gw.admin_post(
            f"/v1/approvals/{approval['id']}/approve", {"arguments": {"message": "forbidden words"}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == "denied_by_policy"
        with pytest.raises(MCPError) as rejected:
            await asyncio.wait_for(call, 30)
    assert rejected.value.code == APPROVAL_REJECTED
    assert "denied by policy" in rejected.value.message


async def test_approve_for_scope_lets_matching_calls_through(gateway, everything_stdio_cmd) -> None:
    gw, agent = start(gateway, everything_stdio_cmd)
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.echo", {"message": "report-1"}))
        [approval] = await pending(gw)
        response = gw.admin_post(
            f"/v1/approvals/{approval['id']}/approve",
            {"scope": {"ttl_secs": 600, "argument_pattern": "report-[0-9]+"}},
        )
        assert response.status_code == 200, response.text
        grant = response.json()["grant"]
        assert grant["tool"] == "echo" and grant["argument_pattern"] == "report-[0-9]+"
        await asyncio.wait_for(call, 30)
        # Same agent + tool + matching arguments: no new request.
        again = await asyncio.wait_for(client.call_tool("everything.echo", {"message": "report-2"}), 10)
        assert "report-2" in text_of(again)
        assert gw.admin_get("/v1/approvals?status=pending").json()["approvals"] == []
        # Arguments outside the pattern are held again.
        other = asyncio.create_task(client.call_tool("everything.echo", {"message": "payroll"}))
        [held] = await pending(gw)
        assert held["arguments"] == {"message": "payroll"}
        revoke = gw.admin_request("DELETE", f"/v1/grants/{grant['id']}")
        assert revoke.status_code == 200, revoke.text
        gw.admin_post(f"/v1/approvals/{held['id']}/deny", {"reason": "not payroll"})
        with pytest.raises(MCPError):
            await asyncio.wait_for(other, 30)
        # A revoked grant no longer lets anything through.
        third = asyncio.create_task(client.call_tool("everything.echo", {"message": "report-3"}))
        [held] = await pending(gw)
        gw.admin_post(f"/v1/approvals/{held['id']}/deny", {"reason": "grant revoked"})
        with pytest.raises(MCPError):
            await asyncio.wait_for(third, 30)


async def test_two_of_m_approvals_are_needed(gateway, everything_stdio_cmd) -> None:
    rules = [{"name": "two-person", "tools": ["everything.echo"], "required_approvals": 2}]
    gw, agent = start(gateway, everything_stdio_cmd, rules=rules)
    alice = OperatorSession(gw, "alice", "approver")
    viewer = OperatorSession(gw, "victor", "viewer")
    try:
        async with gw.mcp_client(agent, mode=LEGACY) as client:
            call = asyncio.create_task(client.call_tool("everything.echo", {"message": "two keys"}))
            [approval] = await pending(gw)
            assert approval["rule"]["required_approvals"] == 2
            assert viewer.post(f"/v1/approvals/{approval['id']}/approve").status_code == 403
            first = alice.post(f"/v1/approvals/{approval['id']}/approve", {"reason": "looks fine"})
            assert first.status_code == 200, first.text
            assert first.json()["outcome"] == "pending_more_votes"
            assert alice.post(f"/v1/approvals/{approval['id']}/approve").status_code == 409
            await asyncio.sleep(0.5)
            assert not call.done(), "one approval of two does not release the call"
            second = gw.admin_post(f"/v1/approvals/{approval['id']}/approve")
            assert second.json()["outcome"] == "approved", second.text
            result = await asyncio.wait_for(call, 30)
        assert "two keys" in text_of(result)
        record = gw.admin_get(f"/v1/approvals/{approval['id']}").json()["approval"]
        assert [v["operator"] for v in record["votes"]] == ["alice", "admin"]
        actions = [e.get("action") for e in trace_events(gw, approval["decision_id"])]
        assert actions.count("vote") == 1 and "approved" in actions
    finally:
        alice.close()
        viewer.close()


async def test_identical_pending_requests_share_one_approval(gateway, everything_stdio_cmd) -> None:
    gw, agent = start(gateway, everything_stdio_cmd)
    async with gw.mcp_client(agent, mode=LEGACY) as one, gw.mcp_client(agent, mode=LEGACY) as two:
        first = asyncio.create_task(one.call_tool("everything.echo", {"message": "same"}))
        [approval] = await pending(gw)
        second = asyncio.create_task(two.call_tool("everything.echo", {"message": "same"}))
        await asyncio.sleep(1.0)
        assert len(gw.admin_get("/v1/approvals?status=pending").json()["approvals"]) == 1
        gw.admin_post(f"/v1/approvals/{approval['id']}/approve")
        results = await asyncio.wait_for(asyncio.gather(first, second), 30)
    assert all("same" in text_of(r) for r in results)


async def test_approval_flooding_is_rate_limited(gateway, everything_stdio_cmd) -> None:
    gw, agent = start(gateway, everything_stdio_cmd, rate_per_minute=2)
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        held = [asyncio.create_task(client.call_tool("everything.echo", {"message": f"m{i}"})) for i in range(2)]
        await pending(gw, count=2)
        with pytest.raises(MCPError) as limited:
            await asyncio.wait_for(client.call_tool("everything.echo", {"message": "m3"}), 10)
        assert limited.value.code == POLICY_DENIED
        assert "per minute" in limited.value.message
        for approval in gw.admin_get("/v1/approvals?status=pending").json()["approvals"]:
            gw.admin_post(f"/v1/approvals/{approval['id']}/deny", {"reason": "cleanup"})
        await asyncio.gather(*held, return_exceptions=True)


async def test_timeout_takes_the_rules_default_outcome(gateway, everything_stdio_cmd) -> None:
    rules = [{"name": "lenient", "tools": ["everything.echo"], "timeout_secs": 2, "default_outcome": "approve"}]
    gw, agent = start(gateway, everything_stdio_cmd, rules=rules)
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        result = await asyncio.wait_for(client.call_tool("everything.echo", {"message": "nobody home"}), 30)
    assert "nobody home" in text_of(result)
    [expired] = gw.admin_get("/v1/approvals?status=expired").json()["approvals"]
    assert expired["rule"]["default_outcome"] == "approve"


async def test_pending_request_survives_a_restart(gateway, everything_stdio_cmd, behavry_bin) -> None:
    gw, agent = start(gateway, everything_stdio_cmd)
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        call = asyncio.create_task(client.call_tool("everything.echo", {"message": "after restart"}))
        [approval] = await pending(gw)
        await asyncio.to_thread(restart, gw, behavry_bin)
        with pytest.raises(MCPError) as interrupted:
            await asyncio.wait_for(call, 30)
    assert interrupted.value.code == APPROVAL_INTERRUPTED
    assert approval["id"] in interrupted.value.message
    # Still listed and decidable after the restart.
    [still] = gw.admin_get("/v1/approvals?status=pending").json()["approvals"]
    assert still["id"] == approval["id"]
    assert gw.admin_post(f"/v1/approvals/{approval['id']}/approve").status_code == 200
    # The identical call, retried, collects the decision without a new request.
    async with gw.mcp_client(agent, mode=LEGACY) as client:
        result = await asyncio.wait_for(client.call_tool("everything.echo", {"message": "after restart"}), 15)
        assert "after restart" in text_of(result)
        assert gw.admin_get("/v1/approvals?status=pending").json()["approvals"] == []
        # Collected once: the next identical call is a new request.
        again = asyncio.create_task(client.call_tool("everything.echo", {"message": "after restart"}))
        [fresh] = await pending(gw)
        assert fresh["id"] != approval["id"]
        gw.admin_post(f"/v1/approvals/{fresh['id']}/deny", {"reason": "once is enough"})
        with pytest.raises(MCPError):
            await asyncio.wait_for(again, 30)


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        type(self).received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


async def test_webhook_and_slack_notifications(gateway, everything_stdio_cmd, monkeypatch) -> None:
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    secret = "whsec-test-0123456789"
    monkeypatch.setenv("BEHAVRY_TEST_WEBHOOK_SECRET", secret)
    gw = gateway(
        [everything_upstream(everything_stdio_cmd)],
        policy_dir=ECHO_POLICY,
        extra={"approvals": {"console_url": "https://behavry.example"}},
        notifications=[
            {"kind": "webhook", "url": f"{base}/hook", "secret": "${env:BEHAVRY_TEST_WEBHOOK_SECRET}"},
            {"kind": "slack", "url": f"{base}/slack", "events": ["approval.requested"]},
        ],
    )
    agent = gw.create_agent("echoer", "tester")
    try:
        async with gw.mcp_client(agent, mode=LEGACY) as client:
            call = asyncio.create_task(client.call_tool("everything.echo", {"message": "notify me"}))
            [approval] = await pending(gw)
            for _ in range(100):
                if any(p == "/slack" for p, _, _ in _Receiver.received):
                    break
                await asyncio.sleep(0.1)
            gw.admin_post(f"/v1/approvals/{approval['id']}/approve")
            await asyncio.wait_for(call, 30)
        for _ in range(100):
            if sum(p == "/hook" for p, _, _ in _Receiver.received) >= 2:
                break
            await asyncio.sleep(0.1)
    finally:
        server.shutdown()
    hooks = [(h, b) for p, h, b in _Receiver.received if p == "/hook"]
    events = [json.loads(b)["event"] for _, b in hooks]
    assert events[:2] == ["approval.requested", "approval.resolved"], events
    for headers, body in hooks:
        sig = {k.lower(): v for k, v in headers.items()}["x-behavry-signature"]
        stamp, mac = dict(part.split("=", 1) for part in sig.split(",")).values()
        want = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(mac, want), "webhook signature must verify with the shared secret"
    first = json.loads(hooks[0][1])
    assert first["approval"]["id"] == approval["id"]
    assert first["console_url"] == f"https://behavry.example/#/approvals/{approval['id']}"
    slack = [json.loads(b) for p, _, b in _Receiver.received if p == "/slack"]
    assert len(slack) == 1, "the slack target subscribed to requests only"
    assert f"https://behavry.example/#/approvals/{approval['id']}" in slack[0]["text"]


async def test_escalation_opens_the_request_to_a_second_group(gateway, everything_stdio_cmd) -> None:
    rules = [
        {
            "name": "dba-first",
            "tools": ["everything.echo"],
            "approvers_group": "dba",
            "escalate_after_secs": 2,
            "escalate_to": "security",
            "timeout_secs": 60,
        }
    ]
    gw, agent = start(gateway, everything_stdio_cmd, rules=rules)
    sam = OperatorSession(gw, "sam", "approver", groups=["security"])
    try:
        async with gw.mcp_client(agent, mode=LEGACY) as client:
            call = asyncio.create_task(client.call_tool("everything.echo", {"message": "escalate"}))
            [approval] = await pending(gw)
            early = sam.post(f"/v1/approvals/{approval['id']}/approve")
            assert early.status_code == 403 and "dba" in early.text, early.text
            for _ in range(100):
                if gw.admin_get(f"/v1/approvals/{approval['id']}").json()["approval"]["escalated"]:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the request was never escalated")
            late = sam.post(f"/v1/approvals/{approval['id']}/approve")
            assert late.status_code == 200, late.text
            assert "escalate" in text_of(await asyncio.wait_for(call, 30))
    finally:
        sam.close()
    actions = [e.get("action") for e in trace_events(gw, approval["decision_id"])]
    assert actions.index("escalated") < actions.index("approved")
