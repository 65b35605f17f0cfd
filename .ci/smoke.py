"""Smoke run of the README's start command with embedded services: one command, one read,
a clean stop; then a second start on the same data, where the first run's data must be."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable

import httpx

from infra.embedded import free_port
from infra.supervisor import wait_healthy

CREDENTIALS = {"email": "smoke@example.com", "password": "Smoke-test-1"}


def run_stack(data_dir: str, check: Callable[[httpx.Client, str, dict[str, str]], None]) -> None:
    command_port, read_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CENTSOURCE_")},
        "CENTSOURCE_DATA_DIR": data_dir,
        "CENTSOURCE_COMMAND_PORT": str(command_port),
        "CENTSOURCE_READ_PORT": str(read_port),
    }
    stack = subprocess.Popen([sys.executable, "bootstrap.py", "run"], env=env)
    try:
        command_url = f"http://127.0.0.1:{command_port}"
        read_url = f"http://127.0.0.1:{read_port}"
        wait_healthy(f"{command_url}/health", timeout=180)
        wait_healthy(f"{read_url}/health", timeout=60)
        check(httpx.Client(base_url=command_url, timeout=30), read_url, env)
    finally:
        stack.send_signal(signal.SIGTERM)
        code = stack.wait(60)
    print(f"smoke: stack stopped with exit code {code}")
    if code != 0:
        raise SystemExit(f"the stack did not stop cleanly: exit code {code}")


def read_workspace(read_url: str, token: str, workspace: dict[str, str | int]) -> list[str]:
    response = httpx.get(
        f"{read_url}/api/workspaces/{workspace['id']}/audit",
        params={"min_position": workspace["position"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    return [entry["type"] for entry in response.json()["data"]]


def main() -> None:
    created: dict[str, str | int] = {}

    def first(commands: httpx.Client, read_url: str, env: dict[str, str]) -> None:
        commands.post("/api/auth/signup", json={**CREDENTIALS, "name": "Smoke"}).raise_for_status()
        token = commands.post("/api/auth/login", json=CREDENTIALS).json()["access_token"]
        response = commands.post(
            "/api/workspaces",
            json={"name": "Smoke", "base_currency": "EUR"},
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
        created.update(response.json())
        assert read_workspace(read_url, token, created) == ["WorkspaceCreated"]
        print(f"smoke: command at position {created['position']}, read back: ok")
        status = subprocess.run(
            [sys.executable, "-m", "infra.cli", "projections", "status"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "dashboard" in status.stdout, status.stdout
        print("smoke: `centsource projections status` found the embedded services: ok")

    def second(commands: httpx.Client, read_url: str, _: dict[str, str]) -> None:
        login = commands.post("/api/auth/login", json=CREDENTIALS)
        login.raise_for_status()
        assert read_workspace(read_url, login.json()["access_token"], created) == [
            "WorkspaceCreated"
        ]
        print("smoke: after a restart, the account and the workspace are still there: ok")

    with tempfile.TemporaryDirectory(prefix="centsource-smoke-") as data_dir:
        run_stack(data_dir, first)
        run_stack(data_dir, second)


if __name__ == "__main__":
    main()
