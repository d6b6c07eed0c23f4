"""Proves the harness: the official Python SDK against real servers, no gateway.

server-everything speaks the legacy era only, so `auto` must fall back to the
initialize handshake; the in-repo demo server speaks both eras, so `auto` must
pick 2026-07-28 there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from harness import AUTO, LEGACY, MODERN, free_port, mcp_client, render_toml, toml_value


@pytest.mark.parametrize("mode", [LEGACY, AUTO])
async def test_everything_http_direct(everything_http, mode: str) -> None:
    async with mcp_client(everything_http.url, mode=mode) as client:
        assert client.protocol_version in HANDSHAKE_PROTOCOL_VERSIONS
        tools = await client.list_tools()
        names = {tool.name for tool in tools.tools}
        assert {"echo", "get-sum"} <= names, names
        result = await client.call_tool("echo", {"message": "hello harness"})
        assert not result.is_error
        assert "hello harness" in result.content[0].text


async def test_everything_stdio_command_runs(everything_stdio_cmd: list[str]) -> None:
    params = StdioServerParameters(command=everything_stdio_cmd[0], args=everything_stdio_cmd[1:])
    async with Client(params, mode=LEGACY, cache=None) as client:
        result = await client.call_tool("get-sum", {"a": 2, "b": 3})
        assert "5" in result.content[0].text


@pytest.mark.parametrize(("mode", "expected"), [(LEGACY, "2025-11-25"), (AUTO, MODERN), (MODERN, MODERN)])
async def test_demo_server_http_both_eras(demo_server_http, mode: str, expected: str) -> None:
    server = demo_server_http("database")
    async with mcp_client(server.url, mode=mode) as client:
        assert client.protocol_version == expected
        tables = await client.call_tool("list_tables", {})
        assert tables.structured_content == {"tables": ["customers", "orders", "products"]}
        rows = await client.call_tool("query", {"sql": "SELECT COUNT(*) AS n FROM customers"})
        assert rows.structured_content["rows"] == [{"n": 15}]
        failed = await client.call_tool("query", {"sql": "SELECT * FROM nope"})
        assert failed.is_error
        updates: list[float] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            updates.append(progress)

        with_progress = await client.call_tool("query", {"sql": "SELECT 1 AS one"}, progress_callback=on_progress)
        assert with_progress.structured_content["rows"] == [{"one": 1}]
        assert updates == [0.5]


@pytest.mark.parametrize("mode", [LEGACY, AUTO])
async def test_demo_server_stdio_files(demo_server_cmd, tmp_path: Path, mode: str) -> None:
    argv = demo_server_cmd("files", tmp_path / "data")
    async with Client(StdioServerParameters(command=argv[0], args=argv[1:]), mode=mode, cache=None) as client:
        listing = await client.list_resources()
        uris = {str(resource.uri) for resource in listing.resources}
        assert "file:///sandbox/welcome.txt" in uris
        escaped = await client.call_tool("read", {"path": "../../etc/passwd"})
        assert escaped.is_error
        prompt = await client.get_prompt("summarize_file", {"path": "welcome.txt"})
        assert "Welcome to the Behavry demo sandbox" in prompt.messages[0].content.text


def test_helpers() -> None:
    port = free_port()
    assert 0 < port < 65536
    assert toml_value(["a", 1, True]) == '["a", 1, true]'
    assert render_toml({"server": {"listen": "127.0.0.1:1"}}, {"upstreams": [{"name": "x", "args": ["y"]}]}) == (
        '[server]\nlisten = "127.0.0.1:1"\n\n[[upstreams]]\nname = "x"\nargs = ["y"]\n'
    )
