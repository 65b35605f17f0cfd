"""Serves webhook subscriptions and each one's delivery log."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter

from projections.webhooks import view
from projections.webhooks.model import DeliveryPage, SubscriptionList, SubscriptionView
from read_api.access import read_access, require_role

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
WEBHOOK = f"{WORKSPACE}/webhooks/{{subscription_id:uuid}}"
Status = Literal["PENDING", "DELIVERED", "FAILED", "CANCELLED"]


@get(f"{WORKSPACE}/webhooks")
async def list_subscriptions(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> SubscriptionList:
    require_role(await read_access(request, workspace_id, "webhooks"), "ADMIN")
    async with request.app.state.pool.connection() as conn:
        return SubscriptionList(data=await view.list_subscriptions(conn, workspace_id))


@get(WEBHOOK)
async def get_subscription(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    subscription_id: FromPath[UUID],
) -> SubscriptionView:
    require_role(await read_access(request, workspace_id, "webhooks"), "ADMIN")
    async with request.app.state.pool.connection() as conn:
        found = await view.get_subscription(conn, workspace_id, subscription_id)
    if found is None:
        raise NotFoundException("no such webhook subscription")
    return found


@get(f"{WEBHOOK}/deliveries")
async def list_deliveries(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    subscription_id: FromPath[UUID],
    status: FromQuery[Status | None] = None,
    page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> DeliveryPage:
    """Newest first: each delivery's status and every attempt (time, response code, latency)."""
    require_role(await read_access(request, workspace_id, "webhooks"), "ADMIN")
    async with request.app.state.pool.connection() as conn:
        if await view.get_subscription(conn, workspace_id, subscription_id) is None:
            raise NotFoundException("no such webhook subscription")
        return await view.list_deliveries(conn, subscription_id, status, page, page_size)
