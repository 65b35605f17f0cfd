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

PROCESSES = ("command-api", "read-api", "project", "relay")
log = structlog.get_logger("supervisor")


def spawn(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "infra.cli", name], env=env)


def wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not become healthy in {timeout}s")


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
        children = {name: spawn(name, env) for name in PROCESSES}
        command_url = f"http://{settings.host}:{settings.command_port}"
        read_url = f"http://{settings.host}:{settings.read_port}"
        try:
            wait_healthy(f"{command_url}/health")
            wait_healthy(f"{read_url}/health")
            log.info("centsource is up", command_api=command_url, read_api=read_url)
            if demo:
                load_demo(command_url, read_url)
            while not stopping.wait(1.0):
                for name, child in children.items():
                    if child.poll() is not None:
                        log.warning("process died; restarting", process=name, code=child.returncode)
                        children[name] = spawn(name, env)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for name, child in children.items():
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    log.warning("process did not stop; killing it", process=name)
                    child.kill()
