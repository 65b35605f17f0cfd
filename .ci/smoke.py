"""Smoke run of the README's start command: embedded services, one command, one read, a stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import httpx

from infra.embedded import free_port
from infra.supervisor import wait_healthy


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="centsource-smoke-") as data_dir:
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
            commands = httpx.Client(base_url=command_url, timeout=30)
            credentials = {"email": "smoke@example.com", "password": "Smoke-test-1"}
            commands.post(
                "/api/auth/signup", json={**credentials, "name": "Smoke"}
            ).raise_for_status()
            token = commands.post("/api/auth/login", json=credentials).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            created = commands.post(
                "/api/workspaces", json={"name": "Smoke", "base_currency": "EUR"}, headers=auth
            )
            created.raise_for_status()
            workspace = created.json()
            read = httpx.get(
                f"{read_url}/api/workspaces/{workspace['id']}/audit",
                params={"min_position": workspace["position"]},
                headers=auth,
                timeout=30,
            )
            read.raise_for_status()
            assert [entry["type"] for entry in read.json()["data"]] == ["WorkspaceCreated"]
            print(f"smoke: command at position {workspace['position']}, read it back: ok")
        finally:
            stack.send_signal(signal.SIGTERM)
            started = time.monotonic()
            code = stack.wait(60)
            print(f"smoke: stack stopped with {code} in {time.monotonic() - started:.1f}s")
        if code != 0:
            raise SystemExit(f"the stack did not stop cleanly: exit code {code}")


if __name__ == "__main__":
    main()
