"""Serves the schedules projection: each schedule with its next dates and what was paid."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from projections.insights import rows
from projections.schedules import view
from projections.schedules.model import ScheduleList
from read_api.access import read_access

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
SERVING = ("schedules", "transactions")  # payments are read from the transactions projection


@get(f"{WORKSPACE}/schedules")
async def list_schedules(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> ScheduleList:
    """Each with its next three dates after today (the workspace's) and its dates of the last
    90 days: PAID by a transaction of its account within 3 days and 5 % of its amount, DUE
    while that window is open, MISSED once it has closed."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        today, _ = await rows.settings(conn, workspace_id)
        return await view.list_schedules(conn, workspace_id, today, page, page_size)
