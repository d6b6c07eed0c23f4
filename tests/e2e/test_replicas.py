"""Several `behavry serve` replicas on one PostgreSQL schema behave as one
Behavry: kill switches, agents and approvals made through one are in force
on the others within the coordination bound, workflow budgets hold under
concurrent load through both, losing a replica leaves the rest serving,
and a replica cut off from the database denies until it is back, then
recovers without a restart. `trace verify` checks every replica's records."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from approvals_support import POLICY_DENIED
from harness import stop_process
from conftest import _register_log
from replicas_support import STALE_SECS, Deployment, TcpProxy, call, create_agent, psql, until

SUM = ("everything.get-sum", {"a": 2, "b": 3})


@pytest.fixture
def deployment(request, behavry_bin: Path, everything_stdio_cmd, tmp_path: Path):
    """A fresh schema; `deployment.start(name)` adds a replica (logs attached on failure)."""
    deploy = Deployment(behavry_bin, everything_stdio_cmd, tmp_path, lambda name, path: _register_log(request, name, path))
    try:
        yield deploy
    finally:
        deploy.stop()


async def test_kill_switch_and_agent_changes_propagate_within_the_bound(deployment) -> None:
    a, b = deployment.start("a"), deployment.start("b")
    # An agent created through A authenticates on B.
    credential = create_agent(a, "worker")
    await until(lambda: _ok(b, credential), timeout=STALE_SECS)

    engaged = a.admin("POST", "/v1/kill", {"scope": "agent", "target": "worker", "reason": "drill"})
    assert engaged.status_code == 200, engaged.text
    took = await until(lambda: _denied_with(b, credential, "drill"), timeout=STALE_SECS)
    assert took < STALE_SECS

    switch = engaged.json()["switch"]["id"]
    assert b.admin("DELETE", f"/v1/kill/{switch}").status_code == 200
    await until(lambda: _ok(a, credential), timeout=STALE_SECS)

    # Revoked through B: refused on A.
    assert b.admin("POST", "/v1/agents/worker/revoke").status_code == 200
    await until(lambda: _refused(a, credential), timeout=STALE_SECS)

    status, ready = a.readyz()
    assert status == 200 and ready["coordination"]["state"] == "current"
    assert [p["replica"] for p in ready["coordination"]["peers"]], ready


async def test_a_call_held_on_one_replica_is_released_by_an_approval_through_another(deployment) -> None:
    a, b = deployment.start("a"), deployment.start("b")
    credential = create_agent(a, "asker")
    await until(lambda: _ok(a, credential), timeout=STALE_SECS)
    for decision, expected in (("approve", "ok"), ("deny", "denied")):
        held = asyncio.create_task(call(a, credential, "everything.echo", {"message": f"please {decision}"}))
        pending = await _pending(b)
        response = b.admin("POST", f"/v1/approvals/{pending['id']}/{decision}", {"reason": "cross-replica"})
        assert response.status_code == 200, response.text
        outcome, detail = await asyncio.wait_for(held, STALE_SECS + 5)
        assert outcome == expected, detail
        if expected == "ok":
            assert f"please {decision}" in detail


async def test_workflow_budget_holds_under_concurrent_load_through_both_replicas(deployment) -> None:
    a, b = deployment.start("a"), deployment.start("b")
    credential = create_agent(a, "planner")
    await until(lambda: _ok(b, credential), timeout=STALE_SECS)
    budget = 12
    started = a.http.post(
        a.mcp_url.removesuffix("/mcp") + "/workflows",
        json={"purpose": "budget drill", "scope": {"tools": ["everything.get-sum"], "resources": ["*"]}, "budgets": {"calls": budget}},
        headers={"Authorization": f"Bearer {credential}"},
    )
    assert started.status_code == 201, started.text
    token = started.json()["token"]
    headers = {"Behavry-Workflow-Token": token}

    async def worker(replica, calls: int) -> list[tuple[str, str]]:
        return [await call(replica, credential, *SUM, headers=headers) for _ in range(calls)]

    results = await asyncio.gather(*(worker(r, 5) for r in (a, b, a, b, a, b)))
    outcomes = [o for batch in results for o in batch]
    allowed = [o for o in outcomes if o[0] == "ok"]
    refused = [o for o in outcomes if o[0] != "ok"]
    assert len(allowed) == budget, outcomes
    assert all("workflow_budget_exceeded" in detail for _, detail in refused), refused
    # Both replicas served some of the allowed calls' budget: each replica's denials exist too.
    assert len(refused) == len(outcomes) - budget


async def test_losing_a_replica_leaves_the_others_serving(deployment) -> None:
    a, b = deployment.start("a"), deployment.start("b")
    credential = create_agent(a, "survivor")
    await until(lambda: _ok(b, credential), timeout=STALE_SECS)
    a.proc.kill()
    a.proc.wait(timeout=10)
    assert (await call(b, credential, *SUM))[0] == "ok"
    engaged = b.admin("POST", "/v1/kill", {"scope": "global", "reason": "after loss"})
    assert engaged.status_code == 200, engaged.text
    outcome, detail = await call(b, credential, *SUM)
    assert outcome == "denied" and "after loss" in detail
    # A replica started to replace the lost one joins with the same view.
    c = deployment.start("c")
    outcome, detail = await call(c, credential, *SUM)
    assert outcome == "denied" and "after loss" in detail


async def test_a_replica_cut_off_from_the_database_fails_closed_and_recovers(deployment) -> None:
    proxy = TcpProxy()
    try:
        a = deployment.start("a")
        b = deployment.start("b", db_port=proxy.port)
        credential = create_agent(a, "steady")
        await until(lambda: _ok(b, credential), timeout=STALE_SECS)

        proxy.cut()
        # Every call on B fails while the database is unreachable...
        for _ in range(5):
            outcome, detail = await call(b, credential, *SUM)
            assert outcome != "ok", detail
        # ...and B turns stale: out of the load balancer, denying every call
        # (the denial cannot be traced, so the call reports that).
        await until(lambda: _ready_status(b, 503), timeout=STALE_SECS + 2)
        assert b.readyz()[1]["coordination"]["state"] == "stale"
        outcome, detail = await call(b, credential, *SUM)
        assert outcome == "denied" and "could not be recorded" in detail, detail
        # ...while A keeps serving, and a kill switch engaged meanwhile...
        assert (await call(a, credential, *SUM))[0] == "ok"
        engaged = a.admin("POST", "/v1/kill", {"scope": "agent", "target": "steady", "reason": "during outage"})
        assert engaged.status_code == 200, engaged.text
        await asyncio.sleep(1)

        proxy.restore()
        # ...is in force on B once it is back, without a restart.
        await until(lambda: _denied_with(b, credential, "during outage"), timeout=STALE_SECS * 4)
        assert b.proc.poll() is None
        assert a.admin("DELETE", f"/v1/kill/{engaged.json()['switch']['id']}").status_code == 200
        await until(lambda: _ok(b, credential), timeout=STALE_SECS)
    finally:
        proxy.close()


async def test_trace_verify_checks_the_records_of_every_replica(deployment, behavry_bin: Path) -> None:
    a, b = deployment.start("a"), deployment.start("b")
    credential = create_agent(a, "audited")
    await until(lambda: _ok(b, credential), timeout=STALE_SECS)
    for replica in (a, b, a, b):
        assert (await call(replica, credential, *SUM))[0] == "ok"
    stop_process(a.proc)
    stop_process(b.proc)  # both seal the trace at shutdown
    verified = subprocess.run(
        [str(behavry_bin), "--config", str(a.config_path), "trace", "verify"], capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    records = psql(f"SELECT count(*) FROM {deployment.schema}.trace_events")
    assert int(records) > 8
    assert records in verified.stdout + verified.stderr, verified.stdout


# ---------------------------------------------------------------- predicates


async def _ok(replica, credential: str) -> bool:
    return (await call(replica, credential, *SUM))[0] == "ok"


async def _denied_with(replica, credential: str, text: str) -> bool:
    outcome, detail = await call(replica, credential, *SUM)
    return outcome == "denied" and str(POLICY_DENIED) in detail and text in detail


async def _refused(replica, credential: str) -> bool:
    outcome, detail = await call(replica, credential, *SUM)
    return outcome == "denied" and "revoked credential" in detail


async def _ready_status(replica, status: int) -> bool:
    return replica.readyz()[0] == status


async def _pending(replica) -> dict:
    for _ in range(150):
        found = replica.admin("GET", "/v1/approvals?status=pending").json()["approvals"]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError("no approval became pending")
