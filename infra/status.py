"""What ``GET /api/status`` reports: version, uptime, each service and each projection."""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import psycopg
import redis.asyncio as redis
from nats.aio.client import Client
from psycopg_pool import AsyncConnectionPool

from infra import health
from infra.metrics import ApiMetrics

# A projection further behind the head than one batch (the runtime's 500) is "behind".
BEHIND_EVENTS = 500


def package_version() -> str:
    try:
        return version("centsource")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def projection_state(position: int, head: int, failures: int) -> str:
    """failing (FAILING_AFTER batches in a row have failed), retrying (fewer), behind (more
    than BEHIND_EVENTS from the head) or ok."""
    if failures >= health.FAILING_AFTER:
        return "failing"
    if failures:
        return "retrying"
    return "behind" if head - position > BEHIND_EVENTS else "ok"


async def report(
    pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]],
    nats_connection: asyncio.Task[Client],
    cache: redis.Redis,
    metrics: ApiMetrics,
) -> dict[str, Any]:
    """The status document; ``status`` is ``degraded`` while a service is unavailable or a
    projection is failing (as /health, which answers 503 then; this answers 200)."""
    checks = await health.check(pool, nats_connection, cache)
    head, projections = await _projections(pool)
    components = {
        name: {"state": "ok"}
        if result == "ok"
        else {"state": "unavailable", "error": result.partition(": ")[2]}
        for name, result in checks.items()
    }
    degraded = any(c["state"] != "ok" for c in components.values()) or any(
        p["state"] == "failing" for p in projections
    )
    return {
        "status": "degraded" if degraded else "ok",
        "version": package_version(),
        "started_at": metrics.started_at.isoformat(),
        "uptime_seconds": metrics.uptime_seconds,
        "head": head,
        "components": components,
        "projections": projections,
    }


async def _projections(
    pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]],
) -> tuple[int | None, list[dict[str, Any]]]:
    """The head of the log and each projection's standing; none while the database is away
    (its component says so) or nothing has run yet."""
    try:
        async with asyncio.timeout(health.TIMEOUT_SECONDS), pool.connection() as conn:
            tables = await (
                await conn.execute(
                    "SELECT to_regclass('centsource_events') IS NOT NULL AS log, EXISTS ("
                    "SELECT 1 FROM pg_attribute WHERE attname = 'last_error' AND NOT attisdropped "
                    "AND attrelid = to_regclass('projection_positions')) AS positions"
                )
            ).fetchone()
            if tables is None or not tables["positions"]:
                return None, []
            head_row = (
                await (
                    await conn.execute(
                        "SELECT coalesce(max(notification_id), 0) AS head FROM centsource_events"
                    )
                ).fetchone()
                if tables["log"]
                else None
            )
            rows = await (
                await conn.execute(
                    "SELECT name, position, failures, failing_since, last_error "
                    "FROM projection_positions ORDER BY name"
                )
            ).fetchall()
    except (psycopg.Error, TimeoutError):
        return None, []
    head = int(head_row["head"]) if head_row else 0
    return head, [
        {
            "name": row["name"],
            "state": projection_state(row["position"], head, row["failures"]),
            "position": row["position"],
            "behind": max(head - row["position"], 0),
            "failures": row["failures"],
            "failing_since": row["failing_since"].isoformat() if row["failing_since"] else None,
            "last_error": row["last_error"],  # the error's class only, as /health says it
        }
        for row in rows
    ]
