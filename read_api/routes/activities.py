"""Serves the activities projection: the workspace's feed, newest first."""

from __future__ import annotations

import math
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from projections.activities import view
from projections.activities.model import ActivityPage, ActivityView, Named
from projections.activities.projector import SUBJECT
from projections.pages import PageMeta
from read_api.access import read_access


@get("/api/workspaces/{workspace_id:uuid}/activities")
async def list_activities(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> ActivityPage:
    await read_access(request, workspace_id, "activities")
    async with request.app.state.pool.connection() as conn:
        rows, total = await view.feed(conn, workspace_id, page, page_size)
    return ActivityPage(
        data=[_activity(row) for row in rows],
        meta=PageMeta(
            page=page,
            page_size=page_size,
            total=total,
            total_pages=math.ceil(total / page_size),
        ),
    )


def _activity(row: dict[str, Any]) -> ActivityView:
    subject = (
        None if row["subject_id"] is None else Named(id=row["subject_id"], name=row["subject_name"])
    )
    text = row["text"].replace(SUBJECT, subject.name if subject else "someone")
    return ActivityView(
        position=row["position"],
        occurred_at=row["occurred_at"],
        type=row["type"],
        actor=Named(id=row["actor_id"], name=row["actor_name"]),
        subject=subject,
        text=f"{row['actor_name']} {text}",
    )
