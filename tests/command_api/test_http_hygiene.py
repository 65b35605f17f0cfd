"""Security headers on every answer, no caching of credentials, and CORS only where configured."""

from __future__ import annotations

import io
import threading
from typing import Any

import msgspec
from litestar.testing import TestClient

from command_api.app import create_app
from infra.embedded import free_port
from infra.logs import configure_logging
from infra.settings import Settings
from tests.api import Api


def test_every_answer_carries_the_security_headers(api: Api) -> None:
    for client, path in (
        (api.commands, "/health"),
        (api.commands, "/no/such/path"),
        (api.reads, "/health"),
        (api.reads, "/api/workspaces/not-a-uuid/dashboard"),
    ):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["strict-transport-security"].startswith("max-age="), path


def test_answers_with_credentials_or_money_are_never_cached(api: Api) -> None:
    user = api.user()
    login = api.commands.post(
        "/api/auth/login", json={"email": user.email, "password": "Correct-horse-9"}
    )
    assert login.headers["cache-control"] == "no-store"
    workspace_id = api.workspace(user)
    listing = api.reads.get(f"/api/workspaces/{workspace_id}/transactions", headers=user.headers)
    assert listing.headers["cache-control"] == "no-store"


def test_cors_answers_only_configured_origins(settings: Settings) -> None:
    allowed = "https://app.example.com"
    configured = msgspec.structs.replace(settings, cors_origins=f"{allowed}, https://other.example")
    with TestClient(create_app(configured)) as client:
        preflight = {"Access-Control-Request-Method": "POST"}
        ok = client.options("/api/workspaces", headers={"Origin": allowed, **preflight})
        assert ok.headers["access-control-allow-origin"] == allowed
        refused = client.options(
            "/api/workspaces", headers={"Origin": "https://evil.example", **preflight}
        )
        assert "access-control-allow-origin" not in refused.headers
    with TestClient(create_app(settings)) as client:  # none configured: no CORS at all
        answer = client.get("/health", headers={"Origin": allowed})
        assert "access-control-allow-origin" not in answer.headers


def test_every_request_is_logged_once_and_echoes_its_correlation_id(api: Api) -> None:
    output = io.StringIO()
    configure_logging("info", output)
    try:
        missing = api.commands.get("/no/such/path", headers={"X-Correlation-Id": "trace-1"})
        healthy = api.reads.get("/health", headers={"X-Correlation-Id": "trace-2"})
    finally:
        configure_logging("warning")
    lines = [msgspec.json.decode(line) for line in output.getvalue().splitlines()]
    requests = [
        (line["path"], line["status"], line["correlation_id"])
        for line in lines
        if line["event"] == "request"
    ]
    assert requests == [("/no/such/path", 404, "trace-1"), ("/health", 200, "trace-2")]
    assert missing.headers["x-correlation-id"] == "trace-1"
    assert healthy.headers["x-correlation-id"] == "trace-2"


def test_the_apis_start_and_serve_while_nats_is_down(settings: Settings) -> None:
    nowhere = msgspec.structs.replace(settings, nats_url=f"nats://127.0.0.1:{free_port()}")
    answers: dict[str, Any] = {}

    def start_and_ask() -> None:
        with TestClient(create_app(nowhere)) as client:
            answers["health"] = client.get("/health")
            answers["signup"] = client.post(
                "/api/auth/signup",
                json={"email": "no-nats@example.com", "password": "Correct-horse-9", "name": "N"},
            )

    worker = threading.Thread(target=start_and_ask)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the command API waited for NATS before serving"
    health = answers["health"]
    assert health.status_code == 503
    assert health.json()["checks"]["database"] == "ok"
    assert health.json()["checks"]["nats"].startswith("unavailable")
    assert answers["signup"].status_code == 201
