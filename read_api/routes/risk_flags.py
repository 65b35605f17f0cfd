"""Serves the risk_flags projection: flagged transactions, their reasons and reviews."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, QueryParameter

from projections.risk_flags import view
from projections.risk_flags.model import ReviewStatus, RiskFlagPage
from read_api.access import read_access

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
SERVING = ("risk_flags", "transactions")  # the transaction's fields come from its model


@get(f"{WORKSPACE}/insights/risk-flags")
async def list_risk_flags(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    status: FromQuery[ReviewStatus | None] = None,
    page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> RiskFlagPage:
    """Flagged transactions, newest first, each with its score, every reason and its weight,
    and its review; ``status`` (PENDING, CONFIRMED, DISMISSED) narrows the list, and
    ``totals`` counts every flag of the workspace by status."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        return await view.flags(conn, workspace_id, status, page, page_size)
