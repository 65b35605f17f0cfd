"""The command API's /metrics, /api/status and, for system ADMINs, /api/metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import msgspec
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from command_api.app import create_app as create_command_app
from infra.settings import Settings
from tests.api import PASSWORD, Api

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def sample(client: TestClient[Any], name: str, **labels: str) -> float:
    """The value of one series of the app's /metrics; 0 where it has none yet."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


def _sign_up(client: TestClient[Any], name: str) -> dict[str, str]:
    email = f"{name.lower()}-{uuid4().hex[:8]}@example.com"
    signup = client.post(
        "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": name}
    )
    assert signup.status_code == 201, signup.text
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_requests_are_counted_by_route_template_never_by_raw_path(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    route = "/api/workspaces/{workspace_id}/accounts"
    labels = {"method": "POST", "route": route, "status": "201"}
    before = sample(api.commands, "centsource_http_requests_total", **labels)
    api.account(user, workspace)
    assert sample(api.commands, "centsource_http_requests_total", **labels) == before + 1
    exposition = api.commands.get("/metrics").text
    assert workspace not in exposition  # an id in a label would be a series per workspace
    assert (
        sample(
            api.commands,
            "centsource_http_request_duration_seconds_count",
            method="POST",
            route=route,
        )
        >= 1
    )
    api.commands.get(f"/no/such/{workspace}")
    assert sample(api.commands, "centsource_http_requests_total", route="unmatched") >= 1


def test_imported_rows_are_counted_and_dry_runs_are_not(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    before = sample(api.commands, "centsource_import_rows_total", outcome="imported")
    content = (FIXTURES / "csv" / "gls.csv").read_bytes()
    for dry_run in ("true", "false"):
        answer = api.commands.post(
            f"/api/workspaces/{workspace}/imports",
            files={"file": ("gls.csv", content)},
            data={"account_id": account, "dry_run": dry_run},
            headers=user.headers,
        )
        assert answer.status_code == 201, answer.text
    assert sample(api.commands, "centsource_import_rows_total", outcome="imported") == before + 1


def test_rate_limited_requests_are_counted_by_tier(own_schema: Settings) -> None:
    limited = msgspec.structs.replace(own_schema, rate_limits="strict=2/900")
    with TestClient(create_command_app(limited)) as client:
        login = {"email": f"x-{uuid4().hex[:8]}@example.com", "password": "Wrong-pass-1"}
        answers = [client.post("/api/auth/login", json=login).status_code for _ in range(4)]
        assert answers == [401, 401, 429, 429]
        assert sample(client, "centsource_rate_limited_requests_total", tier="strict") == 2


def test_status_names_each_service_and_projection_without_live_figures_for_anyone(
    api: Api,
) -> None:
    status = api.commands.get("/api/status")
    assert status.status_code == 200
    body = status.json()
    assert body["version"]
    assert body["uptime_seconds"] >= 0
    assert body["components"] == {
        "database": {"state": "ok"},
        "nats": {"state": "ok"},
        "redis": {"state": "ok"},
    }
    assert "live" not in body
    for projection in body["projections"]:
        assert set(projection) >= {"name", "state", "position", "behind", "failures"}
        assert projection["state"] in ("ok", "behind", "retrying", "failing")
    user = api.user()
    signed_in = api.commands.get("/api/status", headers=user.headers).json()
    if api.commands.get("/api/auth/me", headers=user.headers).json()["system_role"] != "ADMIN":
        assert "live" not in signed_in
    bad = api.commands.get("/api/status", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 200
    assert "live" not in bad.json()


def test_a_system_admin_gets_live_figures_and_a_user_does_not(own_schema: Settings) -> None:
    with TestClient(create_command_app(own_schema)) as client:
        admin = _sign_up(client, "First")  # the first sign-up is the system ADMIN
        user = _sign_up(client, "Second")
        assert "live" not in client.get("/api/status", headers=user).json()
        refused = client.get("/api/metrics", headers=user, params={"secret": "s3cr3t"})
        assert refused.status_code == 403
        assert client.get("/api/metrics").status_code == 401

        live = client.get("/api/status", headers=admin).json()["live"]
        assert live["requests"] >= 4
        routes = {(r["method"], r["route"]): r for r in live["routes"]}
        signup = routes["POST", "/api/auth/signup"]
        assert signup["requests"] == 2
        assert 0 <= signup["p50_ms"] <= signup["p95_ms"] <= signup["max_ms"]

        figures = client.get("/api/metrics", headers=admin)
        assert figures.status_code == 200
        [unauthorized, forbidden] = figures.json()["recent_client_errors"][:2]
        assert forbidden["route"] == "/api/metrics"
        assert forbidden["status"] == 403
        assert forbidden["correlation_id"] == refused.headers["x-correlation-id"]
        assert unauthorized["status"] == 401  # the newest first
        assert "s3cr3t" not in figures.text
        assert user["Authorization"].split()[1] not in figures.text
        assert figures.json()["errors"] == 0
        assert figures.json()["error_rate"] == 0.0
