"""The console's Workflows page in a real browser: an orchestrator starts a
workflow and delegates to a researcher, three calls descend from one another
(list tables → query customers → count customers) and an e-mail beyond the
researcher's scope is denied. The page lists the workflow and draws one node per decision, with
its agent, tool and verdict coloured like the rest of the console, an edge
from each decision to the call that carried its traceparent, the shared
budgets and the sensitive read. A viewer sees no Revoke button; an approver
revokes the workflow from the page, and its token stops working."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import MCPError

from console_browser import add_operator, artifacts_for, browser
from workflow_agents import POLICY_DENIED, START, Deployment, deploy, present, text_of, workflow_meta

CUSTOMERS_SQL = "SELECT name, email FROM customers ORDER BY id"
COUNT_SQL = "SELECT count(*) AS n FROM customers"
MAIL = {"to": "team@example.com", "subject": "customers", "body": "rows"}

# The console's verdict colours (console.css --allow-bg / --deny-bg).
FILL = {"allow": "rgb(232, 246, 236)", "deny": "rgb(253, 236, 234)"}


async def run_chain(d: Deployment) -> tuple[dict[str, Any], list[str], str]:
    """Three allowed calls, each carrying the previous one's traceparent, then
    a denied one; returns the start answer, the decision ids in call order
    and the root token."""
    started = d.start_workflow("orchestrator", START)
    root = started["token"]
    researcher_token = d.delegate(root, d.public_key("orchestrator"), "researcher", ["database.query"],
                                  resources=["customers"])
    async with d.client("orchestrator") as orchestrator, d.client("researcher") as researcher:
        listing = await orchestrator.call_tool("database.list_tables", {}, meta=present(root))
        assert not listing.is_error, text_of(listing)
        first = workflow_meta(listing)
        rows = await researcher.call_tool("database.query", {"sql": CUSTOMERS_SQL},
                                          meta=present(researcher_token, first["traceparent"]))
        assert not rows.is_error, text_of(rows)
        second = workflow_meta(rows)
        count = await researcher.call_tool("database.query", {"sql": COUNT_SQL},
                                           meta=present(researcher_token, second["traceparent"]))
        assert not count.is_error, text_of(count)
        third = workflow_meta(count)
        with pytest.raises(MCPError) as denied:
            await researcher.call_tool("email.send", MAIL, meta=present(researcher_token, third["traceparent"]))
    assert denied.value.code == POLICY_DENIED and "workflow_scope_exceeded" in denied.value.message, denied.value
    return started, [first["decision_id"], second["decision_id"], third["decision_id"], denied.value.data["decision_id"]], root


async def test_workflow_graph_shows_every_decision_and_revokes(
    request, gateway, demo_server_http, behavry_bin, tmp_path
) -> None:
    d = deploy(gateway, demo_server_http, behavry_bin, tmp_path)
    started, ids, root = await run_chain(d)
    wf = started["id"]
    api = d.gw.admin_get(f"/v1/workflows/{wf}")
    assert api.status_code == 200, api.text
    ledger = api.json()["ledger"]

    artifacts = artifacts_for(request)
    viewer = add_operator(d.gw, "victor", "viewer")
    seen = await browser("workflows", d.gw, viewer, workflow_id=wf, artifacts=artifacts / "viewer")
    assert seen["revoke_buttons"] == 0, "a viewer cannot revoke"

    approver = add_operator(d.gw, "alice", "approver")
    seen = await browser("workflows", d.gw, approver, workflow_id=wf, revoke_reason="pipeline misbehaving",
                         artifacts=artifacts / "approver")

    # The list names the workflow, its purpose and who started it.
    assert seen["listed"][:3] == [wf, START["purpose"], "orchestrator"], seen["listed"]

    # One node per decision, in lineage order, each with agent, tool, verdict.
    nodes = {n["decision_id"]: n for n in seen["nodes"]}
    assert sorted(nodes) == sorted(ids), seen["nodes"]
    expected = [
        ("orchestrator", "database.list_tables", "allow", "completed"),
        ("researcher", "database.query", "allow", "completed"),
        ("researcher", "database.query", "allow", "completed"),
        ("researcher", "email.send", "deny", "blocked"),
    ]
    for decision_id, (agent, tool, verdict, outcome) in zip(ids, expected):
        node = nodes[decision_id]
        assert (node["agent"], node["tool"], node["verdict"], node["outcome"]) == (agent, tool, verdict, outcome), node
        assert agent in node["text"] and tool in node["text"] and verdict.capitalize() in node["text"], node["text"]
        assert node["fill"] == FILL[verdict], node
        assert node["href"] == f"#/trace/{decision_id}", node
    assert "workflow_scope_exceeded" in nodes[ids[3]]["text"], nodes[ids[3]]["text"]
    # Lineage: each allowed call sits under the decision whose traceparent it
    # carried, one column further right.
    assert [(nodes[i]["parent"], nodes[i]["level"]) for i in ids[:3]] == [("", 0), (ids[0], 1), (ids[1], 2)]
    xs = [nodes[i]["x"] for i in ids[:3]]
    assert xs[0] < xs[1] < xs[2], xs
    # One edge per parent link, and no other.
    edges = sorted((e["from"], e["to"]) for e in seen["edges"])
    assert edges == sorted((n["parent"], n["decision_id"]) for n in seen["nodes"] if n["parent"]), edges
    assert {(ids[0], ids[1]), (ids[1], ids[2])} <= set(edges), edges

    # Budgets as the ledger holds them, and the researcher's sensitive read.
    budgets = {b["counter"]: (b["used"], b["limit"]) for b in seen["budgets"]}
    assert budgets["calls"] == (str(ledger["budgets"]["calls"]["used"]), "20"), seen["budgets"]
    assert budgets["emails_sent"] == ("0", "2"), seen["budgets"]
    assert int(budgets["calls"][0]) >= 3, budgets
    read = ledger["sensitive_reads"][0]
    assert read["agent"] == "researcher", ledger["sensitive_reads"]
    assert "researcher" in seen["reads"] and read["resource"] in seen["reads"], seen["reads"]

    # Revoked from the page: recorded with the operator, and the token is refused.
    assert seen["revoke_buttons"] == 1 and seen["revoke_after"] == 0, seen
    assert "pipeline misbehaving" in seen["revocations"] and "alice" in seen["revocations"], seen["revocations"]
    revocations = d.gw.admin_get(f"/v1/workflows/{wf}").json()["revocations"]
    root_id = api.json()["workflow"]["root_revocation_id"]
    assert [(r["revocation_id"], r["operator"]) for r in revocations] == [(root_id, "alice")], revocations
    async with d.client("orchestrator") as orchestrator:
        with pytest.raises(MCPError) as refused:
            await orchestrator.call_tool("database.list_tables", {}, meta=present(root))
    assert refused.value.code == POLICY_DENIED and "workflow_token_revoked" in refused.value.message, refused.value
