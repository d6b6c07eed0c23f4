"""The behavioural baseline in a running gateway: every decided call carries
`risk` (score, factors, learning) in its trace record and counts in the
hour's call volume, calls that ran train the agent's profile, `behavry baseline show AGENT` prints it, and the
profile survives a restart (flushed at shutdown, restored at start)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mcp import MCPError

from harness import LEGACY, start_process, stop_process, wait_for_http


def decisions(gw) -> list[dict]:
    events = [e["event"] for e in gw.admin_get("/v1/trace?limit=500").json()["events"]]
    return [e for e in events if e["kind"] == "decision"]


def show(behavry_bin: Path, gw, agent: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(behavry_bin), "--admin-url", gw.admin_url, "--admin-token", gw.admin_token, "baseline", "show", agent, *extra],
        capture_output=True,
        text=True,
        timeout=30,
    )


async def test_calls_are_scored_trained_shown_and_restored(gateway, demo_server_cmd, behavry_bin, tmp_path: Path) -> None:
    database = demo_server_cmd("database", tmp_path / "db")
    upstreams = [{"name": "database", "command": database[0], "args": database[1:]}]
    gw = gateway(upstreams, extra={"risk": {"flush_secs": 1}})
    analyst = gw.create_agent("data-analyst-primary", "analyst")

    missing = show(behavry_bin, gw, "data-analyst-primary")
    assert missing.returncode != 0 and "no baseline" in missing.stderr, missing

    async with gw.mcp_client(analyst, mode=LEGACY) as client:
        for _ in range(3):
            result = await client.call_tool("database.query", {"sql": "SELECT id FROM customers LIMIT 5"})
            assert not result.is_error
        # Denied by policy: scored and counted as attempted, never trained.
        with pytest.raises(MCPError):
            await client.call_tool("database.query", {"sql": 7})
        result = await client.call_tool("database.query", {"sql": "SELECT id FROM customers LIMIT 2"})
        assert not result.is_error

    made = decisions(gw)
    assert len(made) == 5
    for d in made:
        risk = d["risk"]
        assert 0.0 <= risk["score"] <= 1.0 and risk["learning"] is True, risk
        assert {f["name"] for f in risk["factors"]} >= {"call_volume", "new_tool"}, risk
        assert all(isinstance(f["detail"], str) and f["detail"] for f in risk["factors"]), risk
    # The call volume of the hour counts every attempted call, the denied one included.
    volume = [next(f for f in d["risk"]["factors"] if f["name"] == "call_volume")["observed"] for d in made]
    assert [round(v) for v in volume] == [1, 2, 3, 4, 5], volume

    shown = gw.admin_get("/v1/baselines/data-analyst-primary").json()
    assert shown["profile"]["observations"] == 4, shown["profile"]
    out = show(behavry_bin, gw, "data-analyst-primary")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("agent data-analyst-primary (role analyst)"), out.stdout
    assert "database.query" in out.stdout and "learning" in out.stdout, out.stdout

    # Restart with the same configuration and data: the profile comes back.
    gw.proc.terminate()
    gw.proc.wait(timeout=20)
    log_path = tmp_path / "restarted.log"
    proc = start_process([behavry_bin, "serve", "--config", gw.config_path], log_path, cwd=gw.config_path.parent)
    try:
        wait_for_http(f"{gw.admin_url}/readyz", timeout=60, status=200, proc=proc, log_path=log_path)
        restored = gw.admin_get("/v1/baselines/data-analyst-primary")
        assert restored.status_code == 200, restored.text
        assert restored.json()["profile"]["observations"] == 4
    finally:
        stop_process(proc)
