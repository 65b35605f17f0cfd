"""Serves the dashboard projection: kept in memory, and in Redis under the workspace's last
position."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec
import psycopg
import redis.asyncio as redis
import structlog
from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from psycopg_pool import AsyncConnectionPool

from infra.settings import Settings
from projections.dashboard import view
from projections.dashboard.model import Dashboard
from projections.insights import rows
from read_api.access import read_access
from read_api.cache import cache_get, cache_put
from read_api.memory import Memory

MONTH = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$"  # YYYY-MM, 1900 to 2200
log = structlog.get_logger("read_api")
# What a dashboard is made of: its sums, the ledger's rates and category names, and the
# workspace's base currency.
SERVING = ("dashboard", "ledger", "workspaces")


@get("/api/workspaces/{workspace_id:uuid}/dashboard")
async def get_dashboard(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    month: Annotated[str | None, QueryParameter(pattern=MONTH)] = None,
) -> Response[Dashboard]:
    """Income, expenses and net per currency and together in the base currency (at each
    transaction date's rate, the rates listed), spending per category, and each account's
    balance at the end of the month (``YYYY-MM``, this month by default)."""
    await read_access(request, workspace_id, SERVING)
    memory: Memory = request.app.state.positions.memory
    pool = request.app.state.pool
    if month:
        first_day = date.fromisoformat(f"{month}-01")
    else:
        zone, _ = await memory.answer(
            workspace_id, "timezone", ("workspaces",), lambda: _timezone(pool, workspace_id)
        )
        first_day = rows.today_in(zone.decode()).replace(day=1)
    cached = "hit"

    async def make() -> bytes:
        nonlocal cached
        async with pool.connection() as conn:
            dashboard, cached = await _dashboard(request, conn, workspace_id, first_day)
            dashboard = await view.in_base_currency(conn, dashboard, first_day)
            return msgspec.json.encode(await view.name_categories(conn, dashboard))

    # Kept in memory until the log announces a change of this workspace in a read model
    # it is made from (its numbers, a rate, a category's name, its base currency).
    body, kept = await memory.answer(workspace_id, ("dashboard", first_day), SERVING, make)
    request.app.state.metrics.count_cache("dashboard", hit=kept or cached == "hit")
    response: Response[Any] = Response(body, media_type=MediaType.JSON, headers={"X-Cache": cached})
    return response


async def _dashboard(
    request: Request[Any, Any, State],
    conn: psycopg.AsyncConnection[dict[str, Any]],
    workspace_id: UUID,
    first_day: date,
) -> tuple[Dashboard, str]:
    """The month's figures from Redis, shared by every read API, else from the tables."""
    settings: Settings = request.app.state.settings
    cache: redis.Redis = request.app.state.cache
    # The key carries the last position that changed this workspace's dashboard, so an
    # entry can never be served once a newer event has changed the numbers.
    position = await view.workspace_position(conn, workspace_id)
    key = f"dashboard:{settings.database_schema}:{workspace_id}:{first_day}:{position}"
    cached = await cache_get(cache, key)
    if cached is not None:
        return msgspec.json.decode(cached, type=Dashboard), "hit"
    dashboard = await view.get_dashboard(conn, workspace_id, first_day)
    await cache_put(cache, key, msgspec.json.encode(dashboard))
    return dashboard, "miss"


async def _timezone(pool: AsyncConnectionPool[Any], workspace_id: UUID) -> bytes:
    async with pool.connection() as conn:
        return (await rows.timezone(conn, workspace_id)).encode()
