"""An upstream MCP server (official Python SDK, both eras) whose tool asks
the client for confirmation: with a session-based client it sends
`elicitation/create` mid-call; with a 2026-07-28 client it answers
`input_required` and finishes when the client retries with the answer.

Usage: confirm_server.py PORT
"""

import sys
from typing import Annotated

from pydantic import BaseModel

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resolve import Elicit, Resolve

mcp = MCPServer("confirm-upstream")


class Confirm(BaseModel):
    confirm: bool


def ask(name: str) -> Elicit[Confirm]:
    return Elicit(f"Really delete {name}?", Confirm)


@mcp.tool()
async def delete_report(name: str, answer: Annotated[Confirm, Resolve(ask)]) -> str:
    """Delete a report after asking the user."""
    return f"deleted {name}" if answer.confirm else f"kept {name}"


mcp.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
