"""`centsource up` keeps every process and embedded server running, stops them all on SIGTERM or
SIGINT, and leaves none behind when it is killed."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec
import psutil
import pytest

from infra.embedded import free_port
from infra.processes import leftovers
from infra.settings import Settings
from infra.supervisor import wait_healthy
from tests.e2e.stack import signed_up


def _child(parent: psutil.Process, name: str) -> psutil.Process | None:
    for child in parent.children():
        if child.is_running() and child.cmdline()[-1:] == [name]:
            return child
    return None


def _restart_delays(log: Path) -> list[float]:
    """The pauses `up` logged before restarting the command API, in order. Read while the
    processes write: a line being written, or one that is not a JSON log line, is left out."""
    delays = []
    for text in log.read_bytes().split(b"\n")[:-1]:
        try:
            line = msgspec.json.decode(text)
        except msgspec.DecodeError:
            continue
        if isinstance(line, dict) and line.get("process") == "command-api":
            delays.append(line["restart_in"])
    return delays


@pytest.fixture
def supervisor(own_schema: Settings) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    command_port, read_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="centsource-up-") as data_dir:
        env = {
            **os.environ,
            **own_schema.as_env(),
            "CENTSOURCE_COMMAND_PORT": str(command_port),
            "CENTSOURCE_READ_PORT": str(read_port),
            "CENTSOURCE_DATA_DIR": data_dir,
            "CENTSOURCE_LOG_LEVEL": "warning",
        }
        up = subprocess.Popen([sys.executable, "-m", "infra.cli", "up"], env=env)
        try:
            wait_healthy(f"http://127.0.0.1:{command_port}/health")
            wait_healthy(f"http://127.0.0.1:{read_port}/health")
            yield up, f"http://127.0.0.1:{command_port}", f"http://127.0.0.1:{read_port}"
        finally:
            if up.poll() is None:
                up.kill()
                up.wait(10)


def test_a_killed_projector_is_restarted_and_reads_catch_up(
    supervisor: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    up, command_url, read_url = supervisor
    parent = psutil.Process(up.pid)
    projector = _child(parent, "project")
    assert projector is not None
    projector.send_signal(signal.SIGKILL)
    projector.wait(10)

    deadline = time.monotonic() + 20
    while (restarted := _child(parent, "project")) is None or restarted.pid == projector.pid:
        assert time.monotonic() < deadline, "the projector was not restarted"
        time.sleep(0.1)

    commands = httpx.Client(base_url=command_url, timeout=10)
    auth = signed_up(commands, "supervised@example.com", "Super-vised-1")
    created = commands.post(
        "/api/workspaces", json={"name": "S", "base_currency": "EUR"}, headers=auth
    ).json()
    deadline = time.monotonic() + 60
    while True:  # 503 until the restarted projector, still importing, has caught up
        audit = httpx.get(
            f"{read_url}/api/workspaces/{created['id']}/audit",
            params={"min_position": created["position"]},
            headers=auth,
            timeout=10,
        )
        if audit.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert audit.status_code == 200
    assert [entry["type"] for entry in audit.json()["data"]] == ["WorkspaceCreated"]

    children = parent.children()
    assert {child.cmdline()[-1] for child in children} == {
        "command-api",
        "read-api",
        "project",
        "relay",
        "webhooks",
        "worker",
    }
    up.send_signal(signal.SIGTERM)
    assert up.wait(30) == 0
    assert not [child for child in children if child.is_running()]


def test_a_process_that_keeps_dying_is_restarted_ever_more_slowly(
    own_schema: Settings, tmp_path: Path
) -> None:
    command_port, read_port = free_port(), free_port()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", command_port))  # the command API cannot start while this is held
    blocker.listen()
    log = tmp_path / "up.log"
    env = {
        **os.environ,
        **own_schema.as_env(),
        "CENTSOURCE_COMMAND_PORT": str(command_port),
        "CENTSOURCE_READ_PORT": str(read_port),
        "CENTSOURCE_DATA_DIR": str(tmp_path),
        "CENTSOURCE_LOG_LEVEL": "warning",
    }
    with log.open("wb") as output:
        up = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "up"], env=env, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 90
        while len(_restart_delays(log)) < 2 and time.monotonic() < deadline:
            time.sleep(0.3)  # each failed start takes seconds, then a growing pause
        blocker.close()
        wait_healthy(f"http://127.0.0.1:{command_port}/health", timeout=60)
    finally:
        blocker.close()
        up.send_signal(signal.SIGTERM)
        up.wait(30)
    delays = _restart_delays(log)
    assert len(delays) >= 2, delays
    assert delays == sorted(delays), delays
    assert delays[-1] > delays[0], delays


EMBEDDED = ("postgres", "nats-server", "valkey-server")


@contextmanager
def _embedded_up(data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`centsource up` with no service URLs, so with its own servers; its command API's URL.
    Killed on exit if still running (its children with it)."""
    command_port, read_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("CENTSOURCE_")}
    env |= {
        "CENTSOURCE_COMMAND_PORT": str(command_port),
        "CENTSOURCE_READ_PORT": str(read_port),
        "CENTSOURCE_DATA_DIR": str(data_dir),
        "CENTSOURCE_LOG_LEVEL": "warning",
    }
    up = subprocess.Popen([sys.executable, "-m", "infra.cli", "up"], env=env)
    try:
        wait_healthy(f"http://127.0.0.1:{command_port}/health", timeout=180)  # initdb, 2 cores
        wait_healthy(f"http://127.0.0.1:{read_port}/health", timeout=60)
        yield up, f"http://127.0.0.1:{command_port}"
    finally:
        if up.poll() is None:
            up.kill()
            up.wait(10)


def _server(parent: psutil.Process, name: str) -> psutil.Process | None:
    return next((child for child in parent.children() if child.name() == name), None)


def _still_running(processes: list[psutil.Process], within: float) -> list[psutil.Process]:
    """Those of the processes still running after up to ``within`` seconds (a dead one not yet
    reaped by whoever adopted it counts as gone)."""
    deadline = time.monotonic() + within
    while True:
        running = []
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    running.append(process)
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.1)


def _signs_up(command_url: str, email: str) -> None:
    commands = httpx.Client(base_url=command_url, timeout=30)
    auth = signed_up(commands, email, "Super-vised-1")
    created = commands.post(
        "/api/workspaces", json={"name": "S", "base_currency": "EUR"}, headers=auth
    )
    assert created.status_code == 201, created.text


def test_killed_embedded_servers_are_restarted_on_their_addresses(tmp_path: Path) -> None:
    with _embedded_up(tmp_path) as (up, command_url):
        parent = psutil.Process(up.pid)
        killed = {}
        for name in EMBEDDED:
            server = _server(parent, name)
            assert server is not None, name
            server.kill()
            killed[name] = server
        deadline = time.monotonic() + 60
        for name, server in killed.items():
            while (back := _server(parent, name)) is None or back.pid == server.pid:
                assert time.monotonic() < deadline, f"{name} was not restarted"
                time.sleep(0.2)
        wait_healthy(f"{command_url}/health", timeout=60)  # it checks all three
        _signs_up(command_url, "restarted@example.com")


def _started_by(up: subprocess.Popen[bytes], data_dir: Path) -> list[psutil.Process]:
    """Every process `up` started, and every PostgreSQL process of its data directory (one
    that detached itself is no child of `up`, and would be missed)."""
    processes = {child.pid: child for child in psutil.Process(up.pid).children(recursive=True)}
    for pid in leftovers(data_dir / "postgres", ("postgres",)):
        processes.setdefault(pid, psutil.Process(pid))
    assert {process.name() for process in processes.values()} >= set(EMBEDDED)
    return list(processes.values())


def test_no_child_outlives_up_and_the_next_up_starts_over_what_it_left(tmp_path: Path) -> None:
    with _embedded_up(tmp_path) as (up, _):
        children = _started_by(up, tmp_path)
        up.kill()
        up.wait(10)
        assert _still_running(children, within=10) == []

    with _embedded_up(tmp_path) as (up, command_url):
        _signs_up(command_url, "after-a-kill@example.com")
        children = _started_by(up, tmp_path)
        up.send_signal(signal.SIGINT)
        # `up` kills what is left 5 s after it takes the signal; the rest is slack for a busy
        # machine, far below the 15 s it waited for each process in turn.
        assert _still_running(children, within=10) == []
        assert up.wait(10) == 0


def _ready_lines(log: Path, up: subprocess.Popen[bytes], timeout: float) -> dict[str, str]:
    """The lines `up` prints once everything is ready, by their label (``try``, ``read API``)."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text(errors="replace")
        if "centsource is up\n" in text and "  try " in text.split("centsource is up\n")[-1]:
            block = text.split("centsource is up\n")[-1]
            return {
                line[:13].strip(): line[13:].strip()
                for line in block.splitlines()
                if line.startswith("  ") and len(line) > 13
            }
        assert up.poll() is None, text[-2000:]
        assert time.monotonic() < deadline, text[-2000:]
        time.sleep(0.3)


def test_up_with_the_demo_ends_with_its_login_the_urls_and_a_curl_line_that_works(
    own_schema: Settings, tmp_path: Path
) -> None:
    command_port, read_port = free_port(), free_port()
    env = {
        **os.environ,
        **own_schema.as_env(),
        "CENTSOURCE_COMMAND_PORT": str(command_port),
        "CENTSOURCE_READ_PORT": str(read_port),
        "CENTSOURCE_DATA_DIR": str(tmp_path),
        "CENTSOURCE_LOG_LEVEL": "warning",
    }
    log = tmp_path / "up.log"
    with log.open("wb") as output:
        up = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "up", "--demo"], env=env, stdout=output
        )
    try:
        ready = _ready_lines(log, up, timeout=180)
        command_url, read_url = f"http://127.0.0.1:{command_port}", f"http://127.0.0.1:{read_port}"
        assert ready["command API"] == command_url
        assert ready["read API"] == read_url
        for url in ready["Swagger UI"].split():
            assert httpx.get(url, timeout=10).status_code == 200, url
        # A fresh database: the demo user is its first sign-up, so the system ADMIN.
        assert ready["demo login"].startswith(
            "demo@centsource.example / Demo-pass-2026 (system ADMIN)"
        )

        curl = shlex.split(ready["try"])
        assert curl[0] == "curl"
        answer = subprocess.run(curl, capture_output=True, text=True, timeout=30, check=True)
        token = msgspec.json.decode(answer.stdout)["access_token"]
        me = httpx.get(
            f"{command_url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert me.status_code == 200
        assert (me.json()["email"], me.json()["system_role"]) == (
            "demo@centsource.example",
            "ADMIN",
        )

        # `centsource demo` finds the APIs on the ports the environment names.
        again = subprocess.run(
            [sys.executable, "-m", "infra.cli", "demo"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert again.stdout.startswith("demo loaded: ")
        assert f"  read API     {read_url}\n" in again.stdout
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(30)
