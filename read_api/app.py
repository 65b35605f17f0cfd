"""The read API's app factory: pool, cache, position watcher, routes and the error mapper."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as redis
import uvicorn
from litestar import Litestar, Response, get
from litestar.datastructures import State

from infra import blobs, database, health, openapi, rate_limits
from infra.edge import check_before_request
from infra.http import (
    EXCEPTION_HANDLERS,
    cors,
    request_middleware,
)
from infra.logs import configure_logging
from infra.metrics import ApiMetrics
from infra.settings import Settings
from projections.registry import READ_MODELS
from projections.reports import view as reports_view
from projections.webhooks import view as webhooks_view
from read_api.access import Grants
from read_api.consistency import PositionWatcher
from read_api.routes import (
    activities,
    audit_trail,
    budgets,
    dashboard,
    engagement,
    forecasts,
    gamification,
    goals,
    insights,
    ledger,
    notifications,
    reports,
    research,
    risk_flags,
    schedules,
    status,
    transactions,
    vault,
    webhooks,
    workspaces,
)


@get("/health", responses=openapi.HEALTH)
async def health_check(state: State) -> Response[dict[str, Any]]:
    checks = await health.check(state.pool, state.nats, state.cache)
    failing = await health.failing_projections(state.pool)
    healthy = all(value == "ok" for value in checks.values()) and not failing
    positions = {name: state.positions.position(name) for name in READ_MODELS}
    return Response(
        {
            "status": "ok" if healthy else "degraded",
            "checks": checks,
            "projections": positions,
            "failing": failing,
        },
        status_code=200 if healthy else 503,
    )


def projection_position(scope: Any) -> list[tuple[bytes, bytes]]:
    """Every answer says how far the projection it was read from had got."""
    position = scope["state"].get("projection_position")
    if position is None:  # not a projection's route: the slowest read model
        watcher: PositionWatcher = scope["app"].state.positions
        position = min(watcher.position(name) for name in READ_MODELS)
    return [(b"x-projection-position", str(position).encode())]


def rate_limit_tier(method: str, path: str) -> str | None:
    if not path.startswith("/api/") or method == "OPTIONS":
        return None
    return "expensive" if "/exports" in path else "lenient"


def create_app(settings: Settings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        database.create_schema(settings)
        app.state.pool = database.async_pool(settings, max_size=10)
        await app.state.pool.open()
        app.state.blobs = blobs.blobs_for(settings, app.state.pool)
        async with app.state.pool.connection() as conn:
            await webhooks_view.create_delivery_tables(conn)
            await reports_view.create_downloads_table(conn)
        app.state.positions = PositionWatcher(settings)
        app.state.grants = Grants()
        await app.state.positions.start()
        app.state.cache = redis.from_url(settings.redis, socket_timeout=1, socket_connect_timeout=1)
        rate_limits.install(app.state, settings, app.state.cache)
        app.state.nats = health.connect_nats(settings.nats)
        try:
            yield
        finally:
            await health.close_nats(app.state.nats)
            await app.state.cache.aclose()
            await app.state.positions.stop()
            await app.state.pool.close()

    metrics = ApiMetrics()
    app = Litestar(
        route_handlers=[
            health_check,
            status.prometheus_metrics,
            status.get_status,
            status.live_metrics,
            workspaces.list_workspaces,
            workspaces.get_workspace,
            workspaces.list_members,
            workspaces.list_invitations,
            workspaces.list_api_keys,
            activities.list_activities,
            transactions.list_transactions,
            transactions.recent_transactions,
            transactions.deleted_transactions,
            transactions.export_transactions,
            ledger.list_accounts,
            ledger.balance_history,
            ledger.net_worth,
            ledger.list_categories,
            ledger.list_rules,
            ledger.list_import_profiles,
            ledger.category_spending,
            ledger.get_import,
            transactions.get_transaction,
            transactions.transaction_history,
            transactions.list_attachments,
            transactions.download_attachment,
            dashboard.get_dashboard,
            audit_trail.audit_trail,
            budgets.list_budgets,
            budgets.get_budget,
            budgets.budget_progress,
            budgets.budget_forecast,
            budgets.list_alert_rules,
            webhooks.list_subscriptions,
            webhooks.get_subscription,
            webhooks.list_deliveries,
            notifications.list_notifications,
            goals.list_goals,
            goals.get_goal,
            goals.goal_progress,
            vault.list_vault_records,
            vault.list_beneficiaries,
            vault.vault_access_log,
            schedules.list_schedules,
            insights.InsightsController,
            forecasts.ForecastsController,
            risk_flags.list_risk_flags,
            gamification.list_badges,
            gamification.get_gamification,
            engagement.list_challenge_templates,
            engagement.coach_suggestions,
            engagement.EngagementController,
            research.list_instruments,
            research.export_research,
            reports.ReportsController,
        ],
        # Reads lock no log-in out: with the limits off there is nothing for it to do.
        middleware=[rate_limits.rate_limit_middleware(rate_limit_tier)]
        if rate_limits.parse_tiers(settings.rate_limits)
        else [],
        # Reads authenticate in each route, after Litestar's own checks.
        before_request=check_before_request,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        state=State({"settings": settings, "metrics": metrics}),
        cors_config=cors(settings),
        logging_config=None,  # logging is structlog JSON, configured by the process
        openapi_config=openapi.config("centsource read API", openapi.Side(reads=True)),
    )
    app.asgi_handler = request_middleware(app.asgi_handler, metrics, projection_position)
    return app


def serve(settings: Settings) -> None:
    """``centsource read-api``."""
    configure_logging(settings.log_level)
    settings.require()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.read_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=3,  # a request still running (an import) does not hold a stop
        # h11 refuses a request whose headers pass 16 KB; uvicorn's httptools parser (taken
        # when installed) reads them without a bound: 200 MB of one header grew it by 190 MB.
        http="h11",
    )
