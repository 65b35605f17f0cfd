"""Serves the dashboard projection, cached in Redis under the workspace's last position."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec
import redis.asyncio as redis
import structlog
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from infra.settings import Settings
from projections.dashboard import view
from projections.dashboard.model import Dashboard
from projections.insights import rows
from read_api.access import read_access
from read_api.cache import cache_get, cache_put

MONTH = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$"  # YYYY-MM, 1900 to 2200
log = structlog.get_logger("read_api")


@get("/api/workspaces/{workspace_id:uuid}/dashboard")
async def get_dashboard(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    month: Annotated[str | None, QueryParameter(pattern=MONTH)] = None,
) -> Response[Dashboard]:
    """Income, expenses and net per currency and together in the base currency (at each
    transaction date's rate, the rates listed), spending per category, and each account's
    balance at the end of the month (``YYYY-MM``, this month by default)."""
    await read_access(request, workspace_id, ("dashboard", "ledger"))
    settings: Settings = request.app.state.settings
    cache: redis.Redis = request.app.state.cache
    async with request.app.state.pool.connection() as conn:
        if month:
            first_day = date.fromisoformat(f"{month}-01")
        else:
            first_day = (await rows.today(conn, workspace_id)).replace(day=1)
        # The key carries the last position that changed this workspace's dashboard, so an
        # entry can never be served once a newer event has changed the numbers.
        position = await view.workspace_position(conn, workspace_id)
        key = f"dashboard:{settings.database_schema}:{workspace_id}:{first_day}:{position}"
        cached = await cache_get(cache, key)
        request.app.state.metrics.count_cache("dashboard", hit=cached is not None)
        if cached is not None:
            dashboard = msgspec.json.decode(cached, type=Dashboard)
            hit = "hit"
        else:
            dashboard = await view.get_dashboard(conn, workspace_id, first_day)
            await cache_put(cache, key, msgspec.json.encode(dashboard))
            hit = "miss"
        dashboard = await view.in_base_currency(conn, dashboard, first_day)
        return Response(await view.name_categories(conn, dashboard), headers={"X-Cache": hit})
