"""Durability of the Decision Trace: the gateway killed with SIGKILL under
load loses no decision whose call was forwarded. Every call the client saw
answered by the upstream has its decision in the trace, and the trace (hash
chain and checkpoints) verifies afterwards with the deployment's public key."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any

from harness import LEGACY

CLIENTS = 8
ANSWERS_BEFORE_KILL = 150
MARKER = re.compile(r"m[0-9a-f]{32}")


def result_text(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content) + str(result.structured_content)


async def drive(gw: Any, credential: str, answered: list[str], stop: asyncio.Event) -> None:
    """Call database.query with a unique marker until stopped or the gateway dies."""
    try:
        async with gw.mcp_client(credential, mode=LEGACY, timeout=10.0) as client:
            while not stop.is_set():
                marker = f"m{uuid.uuid4().hex}"
                result = await client.call_tool("database.query", {"sql": f"SELECT '{marker}' AS marker"})
                if not result.is_error and marker in result_text(result):
                    answered.append(marker)
    except Exception:  # the gateway was killed under this client
        return


async def test_sigkill_under_load_loses_no_forwarded_decision(
    gateway, behavry_bin: Path, demo_server_cmd, tmp_path: Path
) -> None:
    database = demo_server_cmd("database", tmp_path / "db")
    gw = gateway(
        [{"name": "database", "command": database[0], "args": database[1:]}],
        extra={"trace": {"checkpoint_every_secs": 1, "checkpoint_every_records": 64}},
    )
    analyst = gw.create_agent("analyst-1", "analyst")

    answered: list[str] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(drive(gw, analyst, answered, stop)) for _ in range(CLIENTS)]
    for _ in range(600):
        if len(answered) >= ANSWERS_BEFORE_KILL or all(t.done() for t in tasks):
            break
        await asyncio.sleep(0.05)
    os.kill(gw.proc.pid, signal.SIGKILL)
    gw.proc.wait(timeout=10)
    stop.set()
    done, pending = await asyncio.wait(tasks, timeout=20)
    for task in pending:
        task.cancel()
    seen = list(answered)
    assert len(seen) >= ANSWERS_BEFORE_KILL, f"only {len(seen)} calls were answered before the kill"

    db = sqlite3.connect(gw.data_dir / "behavry.db")
    try:
        bodies = [row[0] for row in db.execute("SELECT body FROM trace_events WHERE kind = 'decision'")]
        checkpoints = db.execute("SELECT COUNT(*) FROM trace_checkpoints").fetchone()[0]
    finally:
        db.close()
    recorded = {m for body in bodies for m in MARKER.findall(body)}
    missing = [m for m in seen if m not in recorded]
    assert not missing, f"{len(missing)} of {len(seen)} answered calls have no decision in the trace"
    assert checkpoints >= 1, "checkpoints were written while the gateway ran"

    public_key = subprocess.run(
        [behavry_bin, "trace", "pubkey", "--data-dir", gw.data_dir],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    verify = subprocess.run(
        [behavry_bin, "trace", "verify", "--data-dir", gw.data_dir, "--public-key", public_key],
        capture_output=True, text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "trace verified" in verify.stdout
