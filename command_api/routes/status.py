"""The command API's status, its live figures for system ADMINs, and its Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State

from command_api.access import Access
from domain.base import NotFoundError, UnauthorizedError
from domain.identity.application import Identity
from domain.identity.user import SystemRole
from infra import status
from infra.metrics import ApiMetrics
from infra.settings import Settings
from infra.tokens import InvalidTokenError, principal_from


@get("/metrics", include_in_schema=False)
async def prometheus_metrics(state: State) -> Response[bytes]:
    """This process's metrics in the Prometheus text format (no credentials: scrape it from
    the private network; nothing in it names a user, a workspace or an amount)."""
    metrics: ApiMetrics = state.metrics
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


@get("/api/status", access=Access.PUBLIC)
async def get_status(request: Request[Any, Any, State]) -> dict[str, Any]:
    """Version, uptime, each service and projection with its state; with a system ADMIN's
    session, this process's live figures too (``live``, as /api/metrics)."""
    state = request.app.state
    report = await status.report(state.pool, state.nats, state.cache, state.metrics)
    if await _is_system_admin(request):
        report["live"] = state.metrics.live()
    return report


@get("/api/metrics", access=Access.SYSTEM_ADMIN)
async def live_metrics(state: State) -> dict[str, Any]:
    """This process's requests, 5xx errors and error rate, each route's p50/p95/max in ms,
    the cache's hit ratio and its latest 4xx and 5xx answers (route, status, time and
    correlation id: never a body or a header)."""
    metrics: ApiMetrics = state.metrics
    return metrics.live()


async def _is_system_admin(request: Request[Any, Any, State]) -> bool:
    """Status is public: credentials that are missing or no longer valid only leave the
    live figures out."""
    settings: Settings = request.app.state.settings
    try:
        principal = principal_from(request.headers.get("authorization"), settings.secret)
    except InvalidTokenError:
        return False
    if principal.session_id is None:  # an API key reaches its workspace only
        return False
    identity: Identity = request.app.state.identity
    try:
        user = await asyncio.to_thread(
            identity.authenticate, principal.actor_id, principal.session_id
        )
    except (UnauthorizedError, NotFoundError):
        return False
    return user.system_role is SystemRole.ADMIN
