"""Serves the audit trail: a workspace's events in log order, paginated by position."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from projections.audit_trail import view
from projections.audit_trail.model import AuditPage
from projections.runtime import MAX_POSITION
from read_api.access import read_access


@get("/api/workspaces/{workspace_id:uuid}/audit")
async def audit_trail(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    after: Annotated[int, QueryParameter(ge=0, le=MAX_POSITION)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> AuditPage:
    await read_access(request, workspace_id, "audit_trail")
    async with request.app.state.pool.connection() as conn:
        return await view.audit_page(conn, workspace_id, after, limit)
