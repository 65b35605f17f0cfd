"""Property-based requests against both running APIs: whatever a client sends, no 5xx.

schemathesis generates requests from each API's own OpenAPI schema, valid and invalid,
with a real user's token and the ids of a real workspace, account and transaction.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from infra.embedded import free_port
from infra.settings import Settings
from infra.supervisor import wait_healthy
from tests.conftest import drop_schema, fresh_schema


@dataclass(frozen=True)
class Running:
    command_url: str
    read_url: str
    headers: dict[str, str]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def running(services: Settings) -> Iterator[Running]:
    own = msgspec.structs.replace(
        fresh_schema(services), command_port=free_port(), read_port=free_port(), log_level="warning"
    )
    env = {**os.environ, **own.as_env()}
    processes = [
        subprocess.Popen([sys.executable, "-m", "infra.cli", name], env=env)
        for name in ("command-api", "read-api", "project")
    ]
    command_url = f"http://127.0.0.1:{own.command_port}"
    read_url = f"http://127.0.0.1:{own.read_port}"
    try:
        wait_healthy(f"{command_url}/health")
        wait_healthy(f"{read_url}/health")
        with httpx.Client(base_url=command_url, timeout=10) as client:
            credentials = {"email": "fuzz@example.com", "password": "Fuzz-fuzz-1"}
            client.post("/api/auth/signup", json={**credentials, "name": "Fuzz"})
            token = client.post("/api/auth/login", json=credentials).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            workspace = client.post(
                "/api/workspaces", json={"name": "F", "base_currency": "EUR"}, headers=headers
            ).json()["id"]
            account = client.post(
                f"/api/workspaces/{workspace}/accounts",
                json={"name": "A", "type": "CASH", "currency": "EUR"},
                headers=headers,
            ).json()["id"]
            transaction = client.post(
                f"/api/workspaces/{workspace}/transactions",
                json={
                    "account_id": account,
                    "date": "2026-03-01",
                    "amount": "-1.00",
                    "currency": "EUR",
                    "description": "seed",
                },
                headers=headers,
            ).json()["id"]
        yield Running(
            command_url,
            read_url,
            headers,
            {"workspace_id": workspace, "transaction_id": transaction, "account_id": account},
        )
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)
        drop_schema(own)


FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same requests every run: a failure here reproduces
    database=None,
)


def _fuzz(running: Running, base_url: str) -> list[str]:
    """Sends generated requests to every operation; returns the operations exercised."""
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def send(case: Any) -> None:
            # Half the cases aim at the real workspace and transaction, to get past the 404.
            if case.path_parameters and hash(repr(case.body)) % 2 == 0:
                for name in case.path_parameters:
                    if name in running.ids:
                        case.path_parameters[name] = running.ids[name]
            response = case.call(base_url=base_url, headers=running.headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
            )

        send()
        exercised.append(f"{operation.method.upper()} {operation.path}")
    return exercised


def test_the_command_api_never_answers_a_server_error(running: Running) -> None:
    exercised = _fuzz(running, running.command_url)
    assert "PATCH /api/workspaces/{workspace_id}/transactions/{transaction_id}" in exercised


def test_the_read_api_never_answers_a_server_error(running: Running) -> None:
    exercised = _fuzz(running, running.read_url)
    assert "GET /api/workspaces/{workspace_id}/dashboard" in exercised
