"""Metrics: percentiles, live figures, and what a projector reports of its projections."""

from __future__ import annotations

import asyncio
import io
from typing import Any
from uuid import uuid4

import httpx
import msgspec
import psycopg
import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from command_api.app import create_app as create_command_app
from infra import metrics
from infra.embedded import free_port
from infra.logs import configure_logging
from infra.metrics import ApiMetrics, ProjectionMetrics, percentile
from infra.settings import Settings
from projections import runtime
from projections.workspaces.projector import WorkspacesProjection
from tests.api import PASSWORD


def test_percentiles_are_nearest_rank() -> None:
    samples = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert percentile(samples, 0.5) == 0.3
    assert percentile(samples, 0.95) == 0.5
    assert percentile([7.0], 0.5) == 7.0
    assert percentile([], 0.95) == 0.0


def test_live_figures_keep_the_latest_twenty_errors_of_each_class_newest_first() -> None:
    live = ApiMetrics()
    for number in range(25):
        live.observe_request("GET", "/api/things/{id}", 404, 0.01, f"client-{number}")
    live.observe_request("POST", "/api/things", 500, 0.2, "server")
    live.observe_request("PROPFIND", "/api/things", 200, 0.1, None)
    figures = live.live()
    assert figures["requests"] == 27
    assert figures["errors"] == 1
    assert figures["error_rate"] == round(1 / 27, 4)
    client_errors = figures["recent_client_errors"]
    assert [e["correlation_id"] for e in client_errors] == [f"client-{n}" for n in range(24, 4, -1)]
    assert client_errors[0]["route"] == "/api/things/{id}"
    assert [e["correlation_id"] for e in figures["recent_server_errors"]] == ["server"]
    assert {(r["method"], r["route"]) for r in figures["routes"]} == {
        ("GET", "/api/things/{id}"),
        ("POST", "/api/things"),
        ("OTHER", "/api/things"),  # any method a client makes up is one label
    }
    assert figures["cache"]["hit_ratio"] is None


def test_a_projector_reports_positions_lag_and_a_catch_up_at_info(
    own_schema: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_command_app(own_schema)) as client:
        email = f"m-{uuid4().hex[:8]}@example.com"
        client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "M"})
        login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for _ in range(2):
            created = client.post(
                "/api/workspaces", json={"name": "W", "base_currency": "EUR"}, headers=headers
            )
        head = created.json()["position"]
    assert head > 3
    monkeypatch.setattr(runtime, "BATCH_SIZE", 2)  # so the log is several batches long
    reported = ProjectionMetrics()
    captured = io.StringIO()
    configure_logging("info", captured)
    try:
        first, position = asyncio.run(_project(own_schema, reported))
    finally:
        configure_logging("warning")
    assert first.position == 2
    assert position == head
    lines = [msgspec.json.decode(line) for line in captured.getvalue().splitlines()]
    assert not [line for line in lines if line["event"] == "batch"]  # batches only at debug
    [caught_up] = [line for line in lines if line["event"] == "caught up"]
    assert caught_up["projection"] == "workspaces"
    assert caught_up["position"] == head

    port = free_port()
    metrics.serve(reported, "127.0.0.1", port)
    scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    samples = {
        (s.name, s.labels.get("projection")): s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
    }
    assert samples["centsource_projection_position", "workspaces"] == head
    assert samples["centsource_event_store_head", None] == head
    assert samples["centsource_projection_lag_events", "workspaces"] == 0
    assert samples["centsource_projection_lag_seconds", "workspaces"] == 0
    assert samples["centsource_projection_events_total", "workspaces"] == head


async def _project(settings: Settings, reported: ProjectionMetrics) -> tuple[runtime.Batch, int]:
    """One batch, whose lag is reported, then the rest of the log."""
    projection = WorkspacesProjection()
    conn = await runtime.open_connection(settings)
    try:
        await runtime.create_tables(conn, projection)
        first = await runtime.process_batch(conn, projection, reported)
        behind = reported.registry.get_sample_value(
            "centsource_projection_lag_events", {"projection": "workspaces"}
        )
        assert behind == await _head(conn) - 2
        return first, await runtime.catch_up(conn, projection, reported)
    finally:
        await conn.close()


async def _head(conn: psycopg.AsyncConnection[dict[str, Any]]) -> int:
    cursor = await conn.execute("SELECT max(notification_id) AS head FROM centsource_events")
    row = await cursor.fetchone()
    assert row is not None
    return int(row["head"])


def test_a_metrics_port_of_zero_serves_nothing_and_each_process_has_its_own() -> None:
    assert metrics.port_of(0, "relay") == 0
    assert [metrics.port_of(9000, p) for p in ("project", "relay", "webhooks")] == [
        9000,
        9001,
        9002,
    ]
