"""Serves the notifications projection: the signed-in user's notifications."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromQuery, QueryParameter

from projections.notifications import view
from projections.notifications.model import NotificationPage
from read_api.access import read_access


@get("/api/notifications")
async def list_notifications(
    request: Request[Any, Any, State],
    unread: FromQuery[bool | None] = None,
    workspace_id: FromQuery[UUID | None] = None,
    page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> NotificationPage:
    """Newest first, dismissed ones left out; ``unread`` counts the unread of the filter; a
    digest of alerts from the end of its day or week."""
    reader = await read_access(request, None, "notifications")
    async with request.app.state.pool.connection() as conn:
        return await view.list_notifications(
            conn,
            reader.principal.actor_id,
            workspace_id,
            unread,
            page,
            page_size,
            datetime.now(UTC),
        )
