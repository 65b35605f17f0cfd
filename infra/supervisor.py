"""``centsource up``: embedded services where no URL is set, then every process, kept running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

import httpx
import structlog

from infra.demo import load_demo
from infra.embedded import EmbeddedServices
from infra.settings import Settings

PROCESSES = ("command-api", "read-api", "project", "relay", "webhooks")
log = structlog.get_logger("supervisor")


def spawn(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "infra.cli", name], env=env)


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

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = env
        self.delay = 0.0
        self.process = spawn(name, env)
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
            self.process = spawn(self.name, self.env)
            self.started, self.restart_at = now, None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self) -> None:
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            log.warning("process did not stop; killing it", process=self.name)
            self.process.kill()


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def up(settings: Settings, demo: bool = False) -> None:
    stopping = threading.Event()

    def request_stop(signum: int, _: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    with EmbeddedServices(settings.data_path) as services:
        settings = services.complete(settings)
        env = {**os.environ, **settings.as_env()}
        children = [Child(name, env) for name in PROCESSES]
        command_url = f"http://{settings.host}:{settings.command_port}"
        read_url = f"http://{settings.host}:{settings.read_port}"
        announced = False
        try:
            while not stopping.wait(0.5):
                for child in children:
                    child.keep_alive()
                if (
                    not announced
                    and healthy(f"{command_url}/health")
                    and healthy(f"{read_url}/health")
                ):
                    announced = True
                    log.info("centsource is up", command_api=command_url, read_api=read_url)
                    if demo:
                        try:
                            load_demo(command_url, read_url)
                        except httpx.HTTPError as error:  # the stack serves on without it
                            log.warning(
                                "demo not loaded; `centsource demo` tries again",
                                error=f"{type(error).__name__}: {error}",
                            )
        finally:
            for child in children:
                child.stop()
            for child in children:
                child.wait()
