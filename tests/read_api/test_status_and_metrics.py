"""The read API's /metrics (requests by route template, the cache), /api/status and
/api/metrics for system ADMINs."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from litestar.testing import TestClient

from command_api.app import create_app as create_command_app
from infra.settings import Settings
from read_api.app import create_app as create_read_app
from tests.api import PASSWORD, Api
from tests.command_api.test_status_and_metrics import sample
from tests.conftest import BackgroundProjector


def test_reads_are_counted_by_route_template_and_the_cache_by_hit_and_miss(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    position = api.record(user, workspace, api.account(user, workspace))["position"]
    route = "/api/workspaces/{workspace_id}/dashboard"
    labels = {"method": "GET", "route": route, "status": "200"}
    before = sample(api.reads, "centsource_http_requests_total", **labels)
    hits = sample(api.reads, "centsource_cache_requests_total", cache="dashboard", result="hit")
    misses = sample(api.reads, "centsource_cache_requests_total", cache="dashboard", result="miss")
    answers = [
        api.reads.get(
            f"/api/workspaces/{workspace}/dashboard",
            params={"min_position": position, "month": "2026-03"},
            headers=user.headers,
        ).headers["x-cache"]
        for _ in range(2)
    ]
    assert answers == ["miss", "hit"]
    assert sample(api.reads, "centsource_http_requests_total", **labels) == before + 2
    assert workspace not in api.reads.get("/metrics").text
    assert (
        sample(api.reads, "centsource_cache_requests_total", cache="dashboard", result="hit")
        == hits + 1
    )
    assert (
        sample(api.reads, "centsource_cache_requests_total", cache="dashboard", result="miss")
        == misses + 1
    )


def test_status_of_the_read_api_has_live_figures_for_a_system_admin_only(
    own_schema: Settings,
) -> None:
    projector = BackgroundProjector(own_schema, ["workspaces", "users"])
    try:
        with (
            TestClient(create_command_app(own_schema)) as commands,
            TestClient(create_read_app(own_schema)) as reads,
        ):
            admin, position = _sign_up(commands, "First")  # the first sign-up: system ADMIN
            user, position = _sign_up(commands, "Second")
            fresh = {"min_position": position}
            anonymous = reads.get("/api/status")
            assert anonymous.status_code == 200
            assert anonymous.json()["components"]["database"] == {"state": "ok"}
            assert {p["name"] for p in anonymous.json()["projections"]} >= {"users", "workspaces"}
            assert "live" not in anonymous.json()
            assert "live" not in reads.get("/api/status", params=fresh, headers=user).json()
            assert reads.get("/api/metrics", params=fresh, headers=user).status_code == 403
            assert reads.get("/api/metrics").status_code == 401

            live = reads.get("/api/status", params=fresh, headers=admin).json()["live"]
            assert live["requests"] >= 4
            figures = reads.get("/api/metrics", params=fresh, headers=admin).json()
            assert [e["status"] for e in figures["recent_client_errors"][:2]] == [401, 403]
            assert {r["route"] for r in figures["routes"]} >= {"/api/status", "/api/metrics"}
    finally:
        projector.stop()


def _sign_up(client: TestClient[Any], name: str) -> tuple[dict[str, str], int]:
    email = f"{name.lower()}-{uuid4().hex[:8]}@example.com"
    signup = client.post(
        "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": name}
    )
    assert signup.status_code == 201, signup.text
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    body = login.json()
    return {"Authorization": f"Bearer {body['access_token']}"}, int(body["position"])
