"""The real processes, started as `centsource` commands, driven over HTTP like a client would."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from infra.settings import Settings
from tests.e2e.stack import Stack, running, signed_up

PROCESSES = ("command-api", "read-api", "project", "relay")


@pytest.fixture
def stack(own_schema: Settings) -> Iterator[Stack]:
    with running(own_schema, *PROCESSES) as stack:
        yield stack


def test_a_client_records_and_reads_its_books_through_the_running_stack(
    stack: Stack,
) -> None:
    commands = httpx.Client(base_url=stack.command_url, timeout=30)  # 2 busy cores: argon2
    reads = httpx.Client(base_url=stack.read_url, timeout=30)
    password = "End-to-end-1"
    auth = signed_up(commands, "e2e@example.com", password)
    token = auth["Authorization"].removeprefix("Bearer ")
    workspace = commands.post(
        "/api/workspaces", json={"name": "Home", "base_currency": "EUR"}, headers=auth
    ).json()["id"]
    account = commands.post(
        f"/api/workspaces/{workspace}/accounts",
        json={
            "name": "Checking",
            "type": "CHECKING",
            "currency": "EUR",
            "opening_balance": "50.00",
        },
        headers=auth,
    ).json()["id"]
    recorded: dict[str, Any] = commands.post(
        f"/api/workspaces/{workspace}/transactions",
        json={
            "account_id": account,
            "date": "2026-03-14",
            "amount": "-5.75",
            "currency": "EUR",
            "description": "Coffee",
        },
        headers={**auth, "X-Correlation-Id": "e2e-coffee"},
    ).json()

    listed = reads.get(
        f"/api/workspaces/{workspace}/transactions",
        params={"min_position": recorded["position"]},
        headers=auth,
    )
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["data"]] == [recorded["id"]]
    dashboard = reads.get(
        f"/api/workspaces/{workspace}/dashboard",
        params={"month": "2026-03", "min_position": recorded["position"]},
        headers=auth,
    ).json()
    assert dashboard["accounts"][0]["balance"] == "44.25"
    audit = reads.get(
        f"/api/workspaces/{workspace}/audit",
        params={"min_position": recorded["position"]},
        headers=auth,
    ).json()["data"]
    # (the engagement watch's points for it may come after it)
    recordings = [entry for entry in audit if entry["type"] == "TransactionRecorded"]
    assert recordings[-1]["correlation_id"] == "e2e-coffee"

    for process in stack.processes.values():
        process.send_signal(signal.SIGTERM)
    for name, process in stack.processes.items():
        # uvicorn finishes its shutdown, then re-raises SIGTERM: -15 after a clean stop.
        assert process.wait(15) in (0, -signal.SIGTERM), f"{name} did not stop"
        output = stack.output(name)
        assert ("shutdown complete" in output) or ('"stopped"' in output), f"{name}: {output}"
        assert password not in output, f"{name} logged a password"
        assert token not in output, f"{name} logged a token"
        lines = [line for line in output.splitlines() if line.strip()]
        assert lines, f"{name} logged nothing"
        for line in lines:
            msgspec.json.decode(line)  # every line is JSON


def test_the_processes_need_their_urls_and_say_so(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CENTSOURCE_")}
    env["CENTSOURCE_DATA_DIR"] = str(tmp_path)  # no `up` runs there to attach to
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "command-api"], env=env, capture_output=True, timeout=30
    )
    assert result.returncode != 0
    assert b"CENTSOURCE_DATABASE_URL" in result.stderr


def test_both_apis_refuse_a_request_whose_headers_never_end(own_schema: Settings) -> None:
    """Headers past 16 KB are a 4xx, read no further: a server that kept reading them would
    hold all of them in memory (200 MB of one header grew one by 190 MB)."""
    with running(own_schema, "command-api", "read-api") as stack:
        for url in (stack.command_url, stack.read_url):
            address = httpx.URL(url)
            with socket.create_connection((address.host, address.port), timeout=10) as client:
                client.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Long: ")
                sent = 0
                with contextlib.suppress(OSError):  # refused and closed while still sending
                    for _ in range(64):
                        client.sendall(b"a" * 16_384)
                        sent += 1
                answer = client.recv(100)
            assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431")), (url, answer)
