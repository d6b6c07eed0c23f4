"""Who may reach what through Behavry: credentials (401), list filtering,
the per-upstream endpoint, header/body mismatches, identity claims in the
body, resources and prompts, a dead upstream, and writes outside a sandbox
on the npm filesystem server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import MCPError

from harness import AUTO, LEGACY, MODERN

UNAUTHORIZED = -32014
POLICY_DENIED = -32010
UPSTREAM_UNAVAILABLE = -32013
HEADER_MISMATCH = -32020


def everything_upstream(cmd: list[str]) -> dict[str, Any]:
    return {"name": "everything", "command": cmd[0], "args": cmd[1:]}


def post(url: str, body: dict[str, Any], **headers: str) -> httpx2.Response:
    base = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    return httpx2.post(url, json=body, headers={**base, **headers}, timeout=30)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
}


def test_missing_unknown_and_revoked_credentials_get_401(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)])
    credential = gw.create_agent("tester-1", "tester")
    cases = {
        "missing": {},
        "wrong scheme": {"Authorization": f"Basic {credential}"},
        "unknown": {"Authorization": "Bearer bhv_" + "A" * 43},
    }
    for name, headers in cases.items():
        response = post(gw.mcp_url, INITIALIZE, **headers)
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"].startswith("Bearer"), name
        assert response.json()["error"]["code"] == UNAUTHORIZED, name
    ok = post(gw.mcp_url, INITIALIZE, Authorization=f"Bearer {credential}")
    assert ok.status_code == 200 and ok.headers["mcp-session-id"]
    session = ok.headers["mcp-session-id"]

    assert gw.admin_post("/v1/agents/tester-1/revoke").status_code == 200
    revoked = post(gw.mcp_url, INITIALIZE, Authorization=f"Bearer {credential}")
    assert revoked.status_code == 401
    # An open session does not outlive its credential either.
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    assert post(gw.mcp_url, call, Authorization=f"Bearer {credential}", **{"Mcp-Session-Id": session}).status_code == 401


async def test_sdk_client_without_credential_cannot_connect(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)])
    with pytest.raises(Exception) as failed:
        async with gw.mcp_client(None, mode=AUTO):
            pass
    assert "unauthorized" in repr(failed.value).lower() or "401" in repr(failed.value)


def test_sessions_belong_to_their_agent(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)])
    alice = gw.create_agent("alice", "tester")
    bob = gw.create_agent("bob", "tester")
    session = post(gw.mcp_url, INITIALIZE, Authorization=f"Bearer {alice}").headers["mcp-session-id"]
    stolen = post(gw.mcp_url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, Authorization=f"Bearer {bob}", **{"Mcp-Session-Id": session})
    assert stolen.status_code == 404


@pytest.mark.parametrize("mode", [LEGACY, MODERN])
async def test_lists_show_only_what_the_agent_may_call(gateway, everything_stdio_cmd, demo_server_cmd, tmp_path: Path, mode: str) -> None:
    database = demo_server_cmd("database", tmp_path / "db")
    gw = gateway([everything_upstream(everything_stdio_cmd), {"name": "database", "command": database[0], "args": database[1:]}])
    tester = gw.create_agent("tester-1", "tester")
    analyst = gw.create_agent("analyst-1", "analyst")
    async with gw.mcp_client(tester, mode=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"everything.echo", "everything.get-env"} <= names
        assert not any(n.startswith("database.") for n in names), names
    async with gw.mcp_client(analyst, mode=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"database.query", "database.list_tables"} <= names
        assert not any(n.startswith("everything.") for n in names), names
        tables = await client.call_tool("database.list_tables", {})
        assert tables.structured_content == {"tables": ["customers", "orders", "products"]}


async def test_resources_and_prompts_are_aggregated_and_decided(gateway, demo_server_cmd, tmp_path: Path) -> None:
    files = demo_server_cmd("files", tmp_path / "files")
    gw = gateway([{"name": "files", "command": files[0], "args": files[1:]}])
    admin = gw.create_agent("admin-1", "admin")
    async with gw.mcp_client(admin, mode=LEGACY) as client:
        resources = (await client.list_resources()).resources
        uris = [str(r.uri) for r in resources]
        assert uris and all(u.startswith("files+file:///sandbox/") for u in uris), uris
        read = await client.read_resource(uris[0])
        assert read.contents and read.contents[0].text
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert "files.summarize_file" in prompts
        name = uris[0].removeprefix("files+file:///sandbox/")
        prompt = await client.get_prompt("files.summarize_file", {"path": name})
        assert prompt.messages
    methods = {e["event"]["method"] for e in gw.admin_get("/v1/trace?limit=50").json()["events"] if e["event"]["kind"] == "decision"}
    assert {"resources/read", "prompts/get"} <= methods


async def test_scoped_endpoint_serves_one_upstream_with_its_own_names(gateway, everything_stdio_cmd, demo_server_cmd, tmp_path: Path) -> None:
    database = demo_server_cmd("database", tmp_path / "db")
    gw = gateway([everything_upstream(everything_stdio_cmd), {"name": "database", "command": database[0], "args": database[1:]}])
    admin = gw.create_agent("admin-1", "admin")
    from harness import mcp_client

    async with mcp_client(gw.mcp_url + "/database", admin, mode=LEGACY) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "query" in names and not any("." in n for n in names), names
        rows = await client.call_tool("query", {"sql": "SELECT COUNT(*) AS n FROM products"})
        assert rows.structured_content["rows"] == [{"n": 12}]
    assert post(gw.mcp_url + "/nosuch", INITIALIZE, Authorization=f"Bearer {admin}").status_code == 404


async def test_a_dead_upstream_breaks_only_itself(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd), {"name": "broken", "command": "/nonexistent/mcp-server"}])
    admin = gw.create_agent("admin-1", "admin")
    async with gw.mcp_client(admin, mode=LEGACY) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "everything.echo" in names
        with pytest.raises(MCPError) as failed:
            await client.call_tool("broken.anything", {})
        assert failed.value.code == UPSTREAM_UNAVAILABLE
        echo = await client.call_tool("everything.echo", {"message": "still here"})
        assert "still here" in echo.content[0].text
    events = [e["event"] for e in gw.admin_get("/v1/trace?limit=50").json()["events"]]
    assert any(e["kind"] == "outcome" and e["status"] == "upstream_failed" for e in events)


def test_modern_headers_must_match_the_body(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)])
    tester = gw.create_agent("tester-1", "tester")
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "everything.get-env", "arguments": {}, "_meta": meta}}
    headers = {"Authorization": f"Bearer {tester}", "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call"}
    # The header claims a harmless tool while the body calls another.
    mismatch = post(gw.mcp_url, body, **headers, **{"Mcp-Name": "everything.echo"})
    assert mismatch.status_code == 400
    assert mismatch.json()["error"]["code"] == HEADER_MISMATCH
    wrong_method = post(gw.mcp_url, body, **{**headers, "Mcp-Method": "tools/list"}, **{"Mcp-Name": "everything.get-env"})
    assert wrong_method.json()["error"]["code"] == HEADER_MISMATCH
    future = {**body, "params": {**body["params"], "_meta": {**meta, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}}}
    unsupported = post(gw.mcp_url, future, **{**headers, "MCP-Protocol-Version": "2099-01-01"}, **{"Mcp-Name": "everything.get-env"})
    assert unsupported.status_code == 400 and unsupported.json()["error"]["code"] == -32022
    assert gw.admin_get("/v1/approvals?status=all").json()["approvals"] == [], "nothing rejected reached the decision step"


async def test_identity_claimed_in_the_body_is_ignored(gateway, everything_stdio_cmd) -> None:
    gw = gateway([everything_upstream(everything_stdio_cmd)])
    analyst = gw.create_agent("analyst-1", "analyst")
    session = post(gw.mcp_url, INITIALIZE, Authorization=f"Bearer {analyst}").headers["mcp-session-id"]
    claim = {"agent": "admin-1", "role": "admin", "behavry/agent": {"role": "admin"}}
    body = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "everything.echo", "arguments": {"message": "x", **claim}, "_meta": claim}}
    response = post(gw.mcp_url, body, Authorization=f"Bearer {analyst}", **{"Mcp-Session-Id": session})
    text = response.text
    assert str(POLICY_DENIED) in text, text
    events = [e["event"] for e in gw.admin_get("/v1/trace?limit=10").json()["events"] if e["event"]["kind"] == "decision"]
    assert events[-1]["agent"]["role"] == "analyst"


async def test_filesystem_writes_outside_the_sandbox_are_denied(gateway, filesystem_stdio_cmd) -> None:
    sandbox = Path("/tmp/behavry-sandbox") / uuid.uuid4().hex
    sandbox.mkdir(parents=True)
    outside = Path("/tmp") / f"behavry-outside-{uuid.uuid4().hex}"
    outside.mkdir()
    cmd = filesystem_stdio_cmd(sandbox, outside)
    gw = gateway([{"name": "filesystem", "command": cmd[0], "args": cmd[1:]}])
    tester = gw.create_agent("tester-1", "tester")
    async with gw.mcp_client(tester, mode=LEGACY) as client:
        ok = await client.call_tool("filesystem.write_file", {"path": str(sandbox / "note.txt"), "content": "inside"})
        assert not ok.is_error, ok
        assert (sandbox / "note.txt").read_text() == "inside"
        with pytest.raises(MCPError) as denied:
            await client.call_tool("filesystem.write_file", {"path": str(outside / "note.txt"), "content": "outside"})
        assert denied.value.code == POLICY_DENIED
        assert not (outside / "note.txt").exists(), "a denied call never reaches the upstream"
        with pytest.raises(MCPError):
            await client.call_tool("filesystem.write_file", {"path": str(sandbox / ".." / "escape.txt"), "content": "x"})
        read = await client.call_tool("filesystem.read_text_file", {"path": str(sandbox / "note.txt")})
        assert "inside" in read.content[0].text
