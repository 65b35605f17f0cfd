"""``centsource up``: embedded services where no URL is set, then every process, kept running.

Every child (the embedded servers too) is restarted when it dies, waiting longer each time it
dies soon after starting. On SIGINT, SIGTERM or SIGHUP every child is asked to stop at once
and those still running after ``STOP_SECONDS`` are killed. Children are started from the main
thread so that on Linux they die with ``up`` even when it is killed (see ``infra.embedded``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from types import FrameType

import httpx
import structlog

from infra.demo import EMAIL, PASSWORD, LoadedDemo, load_demo
from infra.embedded import EmbeddedServices
from infra.processes import launch
from infra.settings import Settings

PROCESSES = ("command-api", "read-api", "project", "relay", "webhooks", "worker")
STOP_SECONDS = 5.0  # from the stop request until every child is gone
# Of those, the seconds the processes get before the servers they use are stopped: a process
# stops cleanly while its database and broker are still there.
PROCESS_STOP_SECONDS = 3.0
log = structlog.get_logger("supervisor")


def spawn(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return launch([sys.executable, "-m", "infra.cli", name], env=env)


def wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not become healthy in {timeout}s")
        time.sleep(0.3)


class Child:
    """One supervised process; one that dies soon after starting waits longer each time."""

    STABLE_SECONDS = 10.0
    MAX_DELAY_SECONDS = 30.0

    def __init__(
        self,
        name: str,
        start: Callable[[], subprocess.Popen[bytes]],
        process: subprocess.Popen[bytes] | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.start = start
        self.stop_signal = stop_signal
        self.delay = 0.0
        self.process = start() if process is None else process
        self.started = time.monotonic()
        self.restart_at: float | None = None

    def keep_alive(self) -> None:
        now = time.monotonic()
        if self.restart_at is None and self.process.poll() is not None:
            stable = now - self.started >= self.STABLE_SECONDS
            self.delay = 0.0 if stable else min(max(self.delay * 2, 1.0), self.MAX_DELAY_SECONDS)
            self.restart_at = now + self.delay
            log.warning(
                "process died; restarting",
                process=self.name,
                code=self.process.returncode,
                restart_in=self.delay,
            )
        if self.restart_at is not None and now >= self.restart_at:
            self.started, self.restart_at = now, None
            try:
                self.process = self.start()
            except OSError as error:  # no fork now (memory), no binary: one more early death
                log.warning("process not restarted", process=self.name, error=str(error))


def stop_all(children: list[Child], deadline: float) -> None:
    """Signals every child at once; kills those still running at ``deadline`` (monotonic)."""
    running = [child for child in children if child.process.poll() is None]
    for child in running:
        child.process.send_signal(child.stop_signal)
    for child in running:
        try:
            child.process.wait(max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            log.warning("process did not stop; killing it", process=child.name)
            child.process.kill()
            child.process.wait()


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Interrupted(BaseException):
    """A stop request that cut a blocking step short (a BaseException, like KeyboardInterrupt,
    so no ``except Exception`` on the way takes it for a failure)."""


class StopRequests:
    """SIGINT, SIGTERM and SIGHUP ask ``up`` to stop. The loop sees the request within half a
    second; a step that blocks for longer (starting the servers, loading the demo) runs
    ``interruptible`` and is cut short."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self._interrupt = False
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is not signal.SIG_IGN:  # under nohup, SIGHUP stays so
                signal.signal(signum, self._handle)

    def _handle(self, signum: int, _: FrameType | None) -> None:
        if not self.requested.is_set():
            log.info("stopping", signal=signal.Signals(signum).name)
        self.requested.set()
        if self._interrupt:
            self._interrupt = False
            raise Interrupted

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        if self.requested.is_set():
            raise Interrupted
        self._interrupt = True
        try:
            yield
        finally:
            self._interrupt = False


def api_urls(settings: Settings) -> tuple[str, str]:
    """Where a client on this machine reaches the command and the read API (an API that
    listens on every address, 0.0.0.0 or ::, is reached on loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.command_port}", f"http://{host}:{settings.read_port}"


def ready_lines(command_url: str, read_url: str, demo: LoadedDemo | None) -> list[str]:
    """What ``up`` prints last: where everything is, the demo's login, a curl line to try."""
    lines = [
        "centsource is up",
        f"  command API  {command_url}",
        f"  read API     {read_url}",
        f"  Swagger UI   {command_url}/schema/swagger  {read_url}/schema/swagger",
    ]
    if demo is None:
        return [*lines, f"  try          curl -s {command_url}/health"]
    login = json.dumps({"email": EMAIL, "password": PASSWORD}, separators=(",", ":"))
    return [
        *lines,
        f"  demo login   {EMAIL} / {PASSWORD} (system {demo.system_role}), "
        f"workspace {demo.workspace_id}",
        f"  try          curl -s {command_url}/api/auth/login "
        f"-H 'content-type: application/json' -d '{login}'",
    ]


def announce(command_url: str, read_url: str, demo: bool) -> bool:
    """Once both APIs answer: loads the demo if asked, then says where everything is; False
    until then."""
    if not (healthy(f"{command_url}/health") and healthy(f"{read_url}/health")):
        return False
    loaded = None
    if demo:
        try:
            loaded = load_demo(command_url)
        except httpx.HTTPError as error:  # the stack serves on without it
            log.warning(
                "demo not loaded; `centsource demo` tries again",
                error=f"{type(error).__name__}: {error}",
            )
    log.info("centsource is up", command_api=command_url, read_api=read_url)
    print("\n".join(ready_lines(command_url, read_url, loaded)), flush=True)
    return True


def up(settings: Settings, demo: bool = False) -> None:
    stop = StopRequests()
    services = EmbeddedServices(settings.data_path)
    children: list[Child] = []  # the servers', then the processes'
    processes: list[Child] = []
    try:
        with stop.interruptible():
            settings = services.complete(settings)
        for server in services.servers:
            children.append(Child(server.name, server.start, server.process, server.stop_signal))
        env = {**os.environ, **settings.as_env()}
        processes = [Child(name, partial(spawn, name, env)) for name in PROCESSES]
        children += processes
        command_url, read_url = api_urls(settings)
        announced = False
        while not stop.requested.wait(0.5):
            for child in children:
                child.keep_alive()
            if not announced:
                with stop.interruptible():  # HTTP calls that may take seconds
                    announced = announce(command_url, read_url, demo)
    except Interrupted:
        pass
    finally:
        deadline = time.monotonic() + STOP_SECONDS
        stop_all(processes, deadline - (STOP_SECONDS - PROCESS_STOP_SECONDS))
        services.stop(deadline)  # the servers, as restarted last
