"""Upstreams that need input from the user mid-call, through Behavry: the
session-based era relays `elicitation/create` to the client and its answer
back; the 2026-07-28 era passes `input_required` through, and the client's
retry is a new call that is decided (and traced) again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from mcp_types import ElicitResult

from harness import LEGACY, MODERN, free_port, start_process, stop_process, wait_for_http

SERVER = Path(__file__).parent / "servers" / "confirm_server.py"


@pytest.fixture
def confirm_server(tmp_path: Path):
    port = free_port()
    log = tmp_path / "confirm_server.log"
    proc = start_process([sys.executable, str(SERVER), str(port)], log)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        wait_for_http(url, timeout=30, proc=proc, log_path=log)
        yield url
    finally:
        stop_process(proc)


@pytest.mark.parametrize("mode", [LEGACY, MODERN])
async def test_elicitation_reaches_the_client_in_both_eras(gateway, confirm_server: str, mode: str) -> None:
    gw = gateway([{"name": "reports", "url": confirm_server}])
    tester = gw.create_agent("tester-1", "admin")
    asked: list[str] = []

    async def elicit(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async with gw.mcp_client(tester, mode=mode, elicitation_callback=elicit) as client:
        result = await client.call_tool("reports.delete_report", {"name": "q3"})
        assert result.content[0].text == "deleted q3"
    assert asked == ["Really delete q3?"]
    decisions = [
        e["event"] for e in gw.admin_get("/v1/trace?limit=50").json()["events"] if e["event"]["kind"] == "decision"
    ]
    # Session-based: one call with an elicitation inside it. Stateless: the
    # first round and the retry carrying the answer are each decided.
    assert len(decisions) == (1 if mode == LEGACY else 2), decisions
    assert all(d["verdict"] == "allow" and d["tool"] == "delete_report" for d in decisions)
