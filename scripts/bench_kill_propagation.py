"""Kill-switch propagation across two replicas on one PostgreSQL schema.

Engages an agent kill switch through replica A's admin API and measures
the time until a call through replica B (one kept-alive MCP session,
calling in a loop) is denied; releases it and waits until B allows again.

    export CARGO_TARGET_DIR=...   # or BEHAVRY_BIN / BEHAVRY_DEMO_SERVER_BIN
    .venv/bin/python scripts/bench_kill_propagation.py [ROUNDS]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import harness  # noqa: E402
from replicas_support import Deployment, create_agent  # noqa: E402


async def until_state(client, denied: bool) -> float:
    started = time.perf_counter()
    while True:
        try:
            await client.call_tool("everything.get-sum", {"a": 1, "b": 2})
            now_denied = False
        except Exception:  # noqa: BLE001 - a denial is a JSON-RPC error
            now_denied = True
        if now_denied == denied:
            return time.perf_counter() - started


async def main(rounds: int) -> None:
    node = "node"
    everything = [node, str(harness.EVERYTHING_ENTRY), "stdio"]
    with tempfile.TemporaryDirectory() as tmp:
        deploy = Deployment(harness.cargo_binary("behavry", "BEHAVRY_BIN"), everything, Path(tmp), lambda *_: None)
        try:
            a, b = deploy.start("a"), deploy.start("b")
            credential = create_agent(a, "bench")
            await asyncio.sleep(1)
            samples = []
            async with harness.mcp_client(b.mcp_url, credential, mode=harness.LEGACY) as client:
                await until_state(client, denied=False)
                for _ in range(rounds):
                    started = time.perf_counter()
                    engaged = a.admin("POST", "/v1/kill", {"scope": "agent", "target": "bench", "reason": "bench"})
                    assert engaged.status_code == 200, engaged.text
                    await until_state(client, denied=True)
                    samples.append((time.perf_counter() - started) * 1000)
                    a.admin("DELETE", f"/v1/kill/{engaged.json()['switch']['id']}")
                    await until_state(client, denied=False)
            samples.sort()
            p99 = samples[min(len(samples) - 1, int(round(0.99 * len(samples))) - 1)]
            print(
                f"kill-switch propagation A→B over {len(samples)} engagements: "
                f"p50 {statistics.median(samples):.1f} ms, p99 {p99:.1f} ms, max {samples[-1]:.1f} ms "
                f"(from the admin request on A to the first denial on B)"
            )
        finally:
            deploy.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
