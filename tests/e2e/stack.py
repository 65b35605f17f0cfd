"""Starts `centsource` processes on free ports, as an operator would, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec

from infra.embedded import free_port
from infra.settings import Settings
from infra.supervisor import wait_healthy


@dataclass(frozen=True)
class Stack:
    command_url: str
    read_url: str
    processes: dict[str, subprocess.Popen[bytes]]
    logs: Path

    def output(self, name: str) -> str:
        """What the process wrote (to a file: a pipe nobody reads would block a busy server)."""
        return (self.logs / f"{name}.log").read_text()


@contextmanager
def running(settings: Settings, *names: str) -> Iterator[Stack]:
    """The named processes, healthy; killed on exit if still running."""
    settings = msgspec.structs.replace(settings, command_port=free_port(), read_port=free_port())
    env = {**os.environ, **settings.as_env()}
    with tempfile.TemporaryDirectory(prefix="centsource-e2e-") as logs:
        processes = {}
        for name in names:
            with (Path(logs) / f"{name}.log").open("wb") as log:
                processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "infra.cli", name],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        stack = Stack(
            f"http://127.0.0.1:{settings.command_port}",
            f"http://127.0.0.1:{settings.read_port}",
            processes,
            Path(logs),
        )
        try:
            for url in (stack.command_url, stack.read_url):
                try:
                    wait_healthy(f"{url}/health")
                except TimeoutError as slow:  # say why: each process's state and last words
                    said = {
                        name: (process.poll(), stack.output(name)[-2000:])
                        for name, process in processes.items()
                    }
                    raise TimeoutError(f"{slow}; processes (exit code, output): {said}") from None
            yield stack
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
                process.wait(10)


def signed_up(commands: httpx.Client, email: str, password: str) -> dict[str, str]:
    """Signs a new user up and logs them in; returns their Authorization header."""
    credentials = {"email": email, "password": password}
    assert commands.post("/api/auth/signup", json={**credentials, "name": "E2E"}).status_code == 201
    token = commands.post("/api/auth/login", json=credentials).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}
