"""The read API's status, its live figures for system ADMINs, and its Prometheus metrics."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from infra import status
from infra.metrics import ApiMetrics
from projections.users import view as users_view
from read_api.access import read_access


@get("/metrics", include_in_schema=False)
async def prometheus_metrics(state: State) -> Response[bytes]:
    """This process's metrics in the Prometheus text format (no credentials: scrape it from
    the private network; nothing in it names a user, a workspace or an amount)."""
    metrics: ApiMetrics = state.metrics
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


@get("/api/status")
async def get_status(request: Request[Any, Any, State]) -> dict[str, Any]:
    """Version, uptime, each service and projection with its state; with a system ADMIN's
    session, this process's live figures too (``live``, as /api/metrics)."""
    state = request.app.state
    report = await status.report(state.pool, state.nats, state.cache, state.metrics)
    if "authorization" in request.headers:
        try:
            await _require_system_admin(request)
            report["live"] = state.metrics.live()
        except (NotAuthorizedException, PermissionDeniedException):
            pass  # status is public: credentials that do not qualify leave the figures out
    return report


@get("/api/metrics")
async def live_metrics(request: Request[Any, Any, State]) -> dict[str, Any]:
    """This process's requests, 5xx errors and error rate, each route's p50/p95/max in ms,
    the cache's hit ratio and its latest 4xx and 5xx answers (route, status, time and
    correlation id: never a body or a header). System ADMINs only."""
    await _require_system_admin(request)
    metrics: ApiMetrics = request.app.state.metrics
    return metrics.live()


async def _require_system_admin(request: Request[Any, Any, State]) -> None:
    reader = await read_access(request, None, "users")
    if reader.principal.session_id is None:
        raise PermissionDeniedException("an API key reaches its workspace's routes only")
    async with request.app.state.pool.connection() as conn:
        if not await users_view.is_system_admin(conn, reader.principal.actor_id):
            raise PermissionDeniedException("this needs the system ADMIN role")
