"""A multi-agent pipeline through Behavry with three official-SDK MCP
clients, each its own agent with its own credential: an orchestrator starts
a workflow over the agent API, delegates offline (`behavry workflow
delegate`) to a researcher (database.query) and a mailer (email.send,
outbound). Allowed work goes through; the researcher's read of customer data
followed by the mailer's send is held and never reaches the e-mail server;
tokens presented by the wrong agent or beyond their scope, and calls beyond
the shared budget, are denied with their reasons; the whole pipeline is read
back from the Decision Trace, through the admin API and `behavry trace
workflow`."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from mcp import MCPError

from approvals_support import pending
from workflow_agents import (
    APPROVAL_REJECTED,
    POLICY_DENIED,
    START,
    Deployment,
    chain_agents,
    deploy,
    present,
    reason_messages,
    text_of,
    workflow_meta,
)

SUMMARY = {"to": "team@example.com", "subject": "Weekly report", "body": "Customer count reviewed; no anomalies."}
CUSTOMERS_SQL = "SELECT name, email, country FROM customers ORDER BY id"


@dataclass
class PipelineRun:
    """What the orchestrator → researcher → mailer run produced."""

    started: dict[str, Any]
    tool_names: set[str]
    orchestrator: dict[str, Any]
    summary: dict[str, Any]
    research: dict[str, Any]
    rows: str
    approval: dict[str, Any]
    rejection: MCPError
    tokens: list[str]

    @property
    def workflow_id(self) -> str:
        return self.started["id"]


async def run_pipeline(d: Deployment) -> PipelineRun:
    started = d.start_workflow("orchestrator", START)
    root = started["token"]
    key = d.public_key("orchestrator")
    researcher_token = d.delegate(root, key, "researcher", ["database.query"], resources=["customers"])
    mailer_token = d.delegate(root, key, "mailer", ["email.send"], flags=["outbound"])

    async with d.client("orchestrator") as orchestrator, d.client("researcher") as researcher, \
            d.client("mailer") as mailer:
        listed = await orchestrator.list_tools()
        listing = await orchestrator.call_tool("database.list_tables", {}, meta=present(root))
        assert not listing.is_error, text_of(listing)
        orchestrator_meta = workflow_meta(listing)
        parent = orchestrator_meta["traceparent"]

        # Before anything sensitive was read, the mailer's summary goes out.
        sent = await mailer.call_tool("email.send", SUMMARY, meta=present(mailer_token, parent))
        assert not sent.is_error, text_of(sent)
        summary_meta = workflow_meta(sent)

        rows = await researcher.call_tool(
            "database.query", {"sql": CUSTOMERS_SQL}, meta=present(researcher_token, parent)
        )
        assert not rows.is_error, text_of(rows)
        research_meta = workflow_meta(rows)

        # The mailer now tries to send what the researcher read.
        exfiltration = asyncio.create_task(mailer.call_tool(
            "email.send",
            {"to": "team@example.com", "subject": "customers", "body": text_of(rows)},
            meta=present(mailer_token, research_meta["traceparent"]),
        ))
        [approval] = await pending(d.gw)
        denied = d.gw.admin_post(f"/v1/approvals/{approval['id']}/deny", {"reason": "customer data stays in"})
        assert denied.status_code == 200, denied.text
        with pytest.raises(MCPError) as rejected:
            await asyncio.wait_for(exfiltration, 30)

    return PipelineRun(
        started=started,
        tool_names={tool.name for tool in listed.tools},
        orchestrator=orchestrator_meta,
        summary=summary_meta,
        research=research_meta,
        rows=text_of(rows),
        approval=approval,
        rejection=rejected.value,
        tokens=[root, researcher_token, mailer_token],
    )


async def test_pipeline_does_its_work_and_the_exfiltration_is_held(
    gateway, demo_server_http, behavry_bin, tmp_path
) -> None:
    d = deploy(gateway, demo_server_http, behavry_bin, tmp_path)
    run = await run_pipeline(d)
    wf = run.workflow_id

    # The root scope is the request cut down to the orchestrator's ceiling
    # (a writer may not call database.describe_table).
    assert run.started["clamped"] is True, run.started
    assert sorted(run.started["scope"]["tools"]) == ["database.list_tables", "database.query", "email.send"]
    assert run.started["scope"]["flags"] == ["outbound"]
    assert {"database.query", "database.list_tables", "email.send"} <= run.tool_names

    # Allowed work: every result names the workflow and its own decision.
    assert {run.orchestrator["id"], run.summary["id"], run.research["id"]} == {wf}
    assert "ada.lovelace@example.com" in run.rows
    # The exfiltration was held with the cross-agent flow reason, then rejected.
    held_reasons = reason_messages(run.approval["reasons"])
    assert any(r.startswith("workflow_sensitive_flow") and "researcher" in r for r in held_reasons), held_reasons
    assert run.rejection.code == APPROVAL_REJECTED, run.rejection
    # The upstream's own record: the summary went out, the customer data never did.
    outbox = d.outbox_messages()
    assert [m["subject"] for m in outbox] == ["Weekly report"], outbox
    assert not any("ada.lovelace" in m["body"] for m in outbox)

    # The trace holds the whole pipeline, each decision tagged with the workflow.
    decisions = d.workflow_decisions(wf)
    assert [(e["agent"]["name"], e["upstream"] + "." + e["tool"], e["verdict"]) for e in decisions] == [
        ("orchestrator", "database.list_tables", "allow"),
        ("mailer", "email.send", "allow"),
        ("researcher", "database.query", "allow"),
        ("mailer", "email.send", "intercept"),
    ]
    orchestrated, summary, research, exfiltration = decisions
    assert [e["decision_id"] for e in decisions[:3]] == [
        run.orchestrator["decision_id"], run.summary["decision_id"], run.research["decision_id"]
    ]
    assert exfiltration["decision_id"] == run.approval["decision_id"]
    assert [chain_agents(e) for e in decisions] == [
        ["orchestrator"], ["orchestrator", "mailer"], ["orchestrator", "researcher"], ["orchestrator", "mailer"]
    ]
    # Lineage: each call descends from the decision whose traceparent it carried.
    assert orchestrated["workflow"]["parent_decision"] is None
    assert research["workflow"]["parent_decision"] == orchestrated["decision_id"]
    assert summary["workflow"]["parent_decision"] == orchestrated["decision_id"]
    assert exfiltration["workflow"]["parent_decision"] == research["decision_id"]
    assert [e["workflow"]["depth"] for e in decisions] == [0, 1, 1, 2]
    trace_ids = {e["workflow"]["trace_id"] for e in decisions}
    assert trace_ids == {run.orchestrator["traceparent"].split("-")[1]}, trace_ids
    alert = exfiltration["workflow"]["flow_alert"]
    assert alert["cross_agent"] is True and alert["read"]["agent"] == "researcher", alert
    assert exfiltration["workflow"]["budgets"]["emails_sent"]["limit"] == 2
    assert exfiltration["workflow"]["budgets"]["calls"]["used"] == 4
    actions = [e.get("action") for e in d.events_of(exfiltration["decision_id"]) if e["kind"] == "approval"]
    assert actions == ["rejected"], actions
    # No token ever reaches the trace.
    everything = d.gw.admin_get("/v1/trace?limit=1000").text
    assert not any(token in everything for token in run.tokens)


# (presenter, whose token, tool, arguments, expected reason)
MISUSE = [
    ("researcher", "mailer", "email.send", SUMMARY, "workflow_not_delegatee"),
    ("mailer", "orchestrator", "email.send", SUMMARY, "workflow_not_delegatee"),
    ("researcher", "researcher", "email.send", SUMMARY, "workflow_scope_exceeded"),
    ("researcher", "researcher", "database.query", {"sql": "SELECT * FROM orders"}, "workflow_scope_exceeded"),
    ("mailer", "mailer", "database.query", {"sql": CUSTOMERS_SQL}, "workflow_scope_exceeded"),
]


async def test_tokens_of_other_agents_and_beyond_their_scope_are_denied(
    gateway, demo_server_http, behavry_bin, tmp_path
) -> None:
    d = deploy(gateway, demo_server_http, behavry_bin, tmp_path)
    started = d.start_workflow("orchestrator", START)
    key = d.public_key("researcher")
    tokens = {
        "orchestrator": started["token"],
        "researcher": d.delegate(started["token"], key, "researcher", ["database.query"], resources=["customers"]),
        "mailer": d.delegate(started["token"], key, "mailer", ["email.send"], flags=["outbound"]),
    }
    for presenter, owner, tool, arguments, code in MISUSE:
        async with d.client(presenter) as client:
            with pytest.raises(MCPError) as denied:
                await client.call_tool(tool, arguments, meta=present(tokens[owner]))
        case = f"{presenter} with {owner}'s token calling {tool}"
        assert denied.value.code == POLICY_DENIED, (case, denied.value)
        assert code in denied.value.message, (case, denied.value.message)
        decision = d.decision(denied.value.data["decision_id"])
        assert decision["verdict"] == "deny", (case, decision)
        assert decision["agent"]["name"] == presenter
        assert reason_messages(decision["reasons"])[0].startswith(code), (case, decision["reasons"])
    assert d.outbox_messages() == [], "no denied send reached the e-mail server"
    # The same tokens in the right hands work.
    async with d.client("researcher") as researcher:
        rows = await researcher.call_tool("database.query", {"sql": CUSTOMERS_SQL}, meta=present(tokens["researcher"]))
    assert not rows.is_error and "grace.hopper@example.com" in text_of(rows)


async def test_a_call_budget_split_across_agents_is_enforced(gateway, demo_server_http, behavry_bin, tmp_path) -> None:
    d = deploy(gateway, demo_server_http, behavry_bin, tmp_path)
    started = d.start_workflow("orchestrator", {**START, "budgets": {"calls": 3}})
    root = started["token"]
    key = d.public_key("orchestrator")
    researcher_token = d.delegate(root, key, "researcher", ["database.query"], resources=["customers"])
    mailer_token = d.delegate(root, key, "mailer", ["email.send"], flags=["outbound"])
    # The mailer carries its token in the `Behavry-Workflow-Token` header instead of `_meta`.
    mailer_headers = {"Behavry-Workflow-Token": mailer_token}
    async with d.client("orchestrator") as orchestrator, d.client("researcher") as researcher, \
            d.client("mailer", headers=mailer_headers) as mailer:
        assert not (await orchestrator.call_tool("database.list_tables", {}, meta=present(root))).is_error
        sent = await mailer.call_tool("email.send", SUMMARY)
        assert not sent.is_error and workflow_meta(sent)["id"] == started["id"], sent
        queried = await researcher.call_tool("database.query", {"sql": "SELECT 1"}, meta=present(researcher_token))
        assert not queried.is_error, text_of(queried)
        for client, tool, arguments, token in [
            (orchestrator, "database.list_tables", {}, root),
            (researcher, "database.query", {"sql": "SELECT 1"}, researcher_token),
        ]:
            with pytest.raises(MCPError) as denied:
                await client.call_tool(tool, arguments, meta=present(token))
            assert denied.value.code == POLICY_DENIED
            reasons = reason_messages(d.decision(denied.value.data["decision_id"])["reasons"])
            assert reasons[0].startswith("workflow_budget_exceeded") and "calls" in reasons[0], reasons
    assert len(d.outbox_messages()) == 1
    allowed = [e for e in d.workflow_decisions(started["id"]) if e["verdict"] == "allow"]
    assert [chain_agents(e) for e in allowed] == [
        ["orchestrator"], ["orchestrator", "mailer"], ["orchestrator", "researcher"]
    ]
    assert [e["workflow"]["budgets"]["calls"]["used"] for e in allowed] == [1, 2, 3]


def flatten(nodes: list[dict[str, Any]], parent: str | None = None) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """decision_id → (id of its parent in the printed tree, node)."""
    found: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for node in nodes:
        found[node["decision_id"]] = (parent, node)
        found.update(flatten(node.get("children", []), node["decision_id"]))
    return found


async def test_trace_workflow_prints_the_pipeline_as_a_tree(gateway, demo_server_http, behavry_bin, tmp_path) -> None:
    d = deploy(gateway, demo_server_http, behavry_bin, tmp_path)
    run = await run_pipeline(d)
    done = d.trace_workflow_cli(run.workflow_id)
    assert done.returncode == 0, f"`behavry trace workflow` failed ({done.returncode}): {done.stderr}"
    printed = json.loads(done.stdout)
    assert printed["workflow"]["id"] == run.workflow_id
    assert printed["workflow"]["started_by"] == "orchestrator"
    assert printed["workflow"]["purpose"] == START["purpose"]
    tree = flatten(printed["decisions"])
    orchestrated = run.orchestrator["decision_id"]
    research = run.research["decision_id"]
    exfiltration = run.approval["decision_id"]
    assert [n["decision_id"] for n in printed["decisions"]] == [orchestrated], "one root: the orchestrator's call"
    assert set(tree) == {orchestrated, run.summary["decision_id"], research, exfiltration}
    expected = {
        orchestrated: (None, "orchestrator", "allow", 0),
        run.summary["decision_id"]: (orchestrated, "mailer", "allow", 1),
        research: (orchestrated, "researcher", "allow", 1),
        exfiltration: (research, "mailer", "intercept", 2),
    }
    for decision_id, (parent, agent, verdict, depth) in expected.items():
        tree_parent, node = tree[decision_id]
        assert (tree_parent, node["agent"], node["verdict"], node["depth"]) == (parent, agent, verdict, depth), node
        assert node["parent_decision"] == parent, node
    assert tree[exfiltration][1]["tool"] == "email.send"
    assert tree[exfiltration][1]["chain"] == ["orchestrator", "mailer"]
    assert [a["action"] for a in tree[exfiltration][1]["approvals"]] == ["rejected"]
    assert [tree[i][1]["outcome"] for i in expected] == ["completed", "completed", "completed", "blocked"]
    assert any(r.startswith("workflow_sensitive_flow") for r in reason_messages(tree[exfiltration][1]["reasons"]))
    assert not any(token in done.stdout for token in run.tokens)
