"""`behavry operator ...` against a running gateway: add (password from
stdin or generated), list, passwd and disable, checked by signing in to the
console API with the resulting credentials."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx2


def cli(behavry_bin: Path, gw: Any, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(behavry_bin), "--admin-url", gw.admin_url, "--admin-token", gw.admin_token, "operator", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def sign_in(gw: Any, name: str, password: str) -> int:
    return httpx2.post(f"{gw.admin_url}/v1/session", json={"name": name, "password": password}, timeout=10).status_code


def test_operator_commands(gateway, behavry_bin) -> None:
    gw = gateway([])
    added = cli(behavry_bin, gw, "add", "alice", "--role", "approver", "--group", "finance", "--password-stdin", stdin="a long enough password\n")
    assert added.returncode == 0, added.stderr
    assert sign_in(gw, "alice", "a long enough password") == 201

    generated = cli(behavry_bin, gw, "add", "bob", "--role", "viewer")
    assert generated.returncode == 0, generated.stderr
    password = next(line.split(": ", 1)[1] for line in generated.stdout.splitlines() if line.startswith("password: "))
    assert len(password) >= 24 and sign_in(gw, "bob", password) == 201

    listed = cli(behavry_bin, gw, "list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines()[1:]}
    assert rows["alice"][1:4] == ["approver", "active", "set"] and rows["alice"][4] == "finance"
    assert rows["bob"][1] == "viewer"

    changed = cli(behavry_bin, gw, "passwd", "alice", "--password-stdin", stdin="another long password\n")
    assert changed.returncode == 0, changed.stderr
    assert sign_in(gw, "alice", "a long enough password") == 401
    assert sign_in(gw, "alice", "another long password") == 201

    disabled = cli(behavry_bin, gw, "disable", "alice")
    assert disabled.returncode == 0, disabled.stderr
    assert sign_in(gw, "alice", "another long password") == 401

    bad = cli(behavry_bin, gw, "add", "carol", "--role", "root", "--password-stdin", stdin="a long enough password\n")
    assert bad.returncode != 0 and "role" in bad.stderr
    short = cli(behavry_bin, gw, "add", "dave", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert short.returncode != 0 and "12" in short.stderr
