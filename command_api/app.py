"""The command API's app factory: the applications, the stores, the routes and the error mapper."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import redis.asyncio as redis
import structlog
import uvicorn
from litestar import Litestar, Request, Response, Router, get
from litestar.datastructures import State
from litestar.di import Provide

from command_api.access import authorize
from command_api.context import (
    provide_actor,
    provide_budgeting,
    provide_engagement,
    provide_goals,
    provide_identity,
    provide_ledger,
    provide_mailer,
    provide_principal,
    provide_scheduling,
    provide_webhooks,
    provide_workspaces,
)
from command_api.idempotency import idempotency_middleware
from command_api.routes import (
    admin,
    attachments,
    auth,
    budgets,
    categories,
    engagement,
    forecasts,
    goals,
    imports,
    jobs,
    ledger,
    notifications,
    reports,
    research,
    risk,
    rules,
    schedules,
    status,
    vault,
    vault_release,
    webhooks,
    workspaces,
)
from domain.base import DomainError
from domain.budgeting.application import Budgeting
from domain.engagement.application import Engagement
from domain.forecasting.application import Forecasting
from domain.goals.application import Goals
from domain.identity.application import Identity
from domain.ledger.application import Ledger
from domain.ledger.scheduling import Scheduling
from domain.reporting.application import Reporting
from domain.risk.application import Risk
from domain.vault.application import Vault
from domain.webhooks.application import Webhooks
from domain.workspaces.application import Workspaces
from infra import blobs, database, health, openapi, rate_limits
from infra.edge import check_request
from infra.http import (
    EXCEPTION_HANDLERS,
    cors,
    problem,
    request_middleware,
)
from infra.idempotency import IdempotencyStore
from infra.jobs import JobQueue
from infra.logs import configure_logging
from infra.mail import DevMailbox, SmtpMailer
from infra.metrics import ApiMetrics
from infra.passwords import Argon2Hasher
from infra.settings import Settings
from infra.vault_keys import Keyring

log = structlog.get_logger("command_api")

# Credentials are guessed here: limited per IP and email (the STRICT tier).
STRICT_PATHS = frozenset(
    {
        "/api/auth/signup",
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/password",
        "/api/auth/password-reset",
        "/api/auth/password-reset/confirm",
        "/api/auth/email-verification/confirm",
        "/api/users",
    }
)


def rate_limit_tier(method: str, path: str) -> str | None:
    if not path.startswith("/api/") or method == "OPTIONS":
        return None
    if path in STRICT_PATHS:
        return "strict"
    if "/imports" in path or "/exports" in path:
        return "expensive"
    return "lenient" if method in ("GET", "HEAD") else "moderate"


def on_domain_error(_: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    errors = {error.field: [error.detail]} if error.field else None
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    retry_after = getattr(error, "retry_after", None)  # a locked vault's 429
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    return problem(error.status, error.detail, errors=errors, headers=headers, code=error.code)


@get("/health", responses=openapi.HEALTH)
async def health_check(state: State) -> Response[dict[str, Any]]:
    checks = await health.check(state.pool, state.nats, state.cache)
    failing = await health.failing_projections(state.pool)
    healthy = all(value == "ok" for value in checks.values()) and not failing
    return Response(
        {"status": "ok" if healthy else "degraded", "checks": checks, "failing": failing},
        status_code=200 if healthy else 503,
    )


async def _forget_expired_keys(store: IdempotencyStore) -> None:
    while True:
        try:
            forgotten = await store.forget_expired()
            if forgotten:
                log.info("idempotency keys expired", count=forgotten)
        except psycopg.Error as error:
            log.warning("could not expire idempotency keys", error=str(error))
        await asyncio.sleep(600)


def create_app(settings: Settings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        database.create_schema(settings)
        env = database.event_store_env(settings)
        app.state.identity = Identity(env, Argon2Hasher(), code_key=settings.secret)
        app.state.workspaces = Workspaces(env)
        app.state.ledger = Ledger(env)
        app.state.budgeting = Budgeting(env)
        app.state.webhooks = Webhooks(env)
        app.state.engagement = Engagement(env)
        app.state.goals = Goals(env)
        app.state.risk = Risk(env)
        app.state.scheduling = Scheduling(env)
        app.state.forecasting = Forecasting(env)
        app.state.reporting = Reporting(env)
        app.state.vault = Vault(env, Keyring(settings.secret))
        app.state.pool = database.async_pool(settings)
        await app.state.pool.open()
        app.state.blobs = blobs.blobs_for(settings, app.state.pool)
        await app.state.blobs.create_table()
        app.state.idempotency = IdempotencyStore(app.state.pool)
        await app.state.idempotency.create_table()
        forgetting = asyncio.create_task(_forget_expired_keys(app.state.idempotency))
        app.state.jobs = JobQueue(app.state.pool)
        await app.state.jobs.create_table()
        if settings.smtp_url:
            app.state.mailer = SmtpMailer(settings.smtp_url, settings.mail_from)
        else:
            app.state.mailer = DevMailbox(app.state.pool)
            await app.state.mailer.create_table()
        app.state.cache = redis.from_url(settings.redis, socket_timeout=1, socket_connect_timeout=1)
        rate_limits.install(app.state, settings, app.state.cache)
        app.state.nats = health.connect_nats(settings.nats)
        try:
            yield
        finally:
            forgetting.cancel()
            await health.close_nats(app.state.nats)
            await app.state.cache.aclose()
            await app.state.pool.close()
            for application in (
                app.state.identity,
                app.state.workspaces,
                app.state.ledger,
                app.state.budgeting,
                app.state.webhooks,
                app.state.engagement,
                app.state.goals,
                app.state.risk,
                app.state.scheduling,
                app.state.forecasting,
                app.state.reporting,
                app.state.vault,
            ):
                application.close()

    metrics = ApiMetrics()
    app = Litestar(
        # Routers, not handlers one by one: registering handlers singly on the app re-registers
        # those already on a shared path (PATCH and DELETE of a transaction), and Litestar 2.25
        # then wraps a sync_to_thread handler twice, so it returns an un-awaited coroutine.
        route_handlers=[
            health_check,
            status.prometheus_metrics,
            Router(
                path="/",
                guards=[authorize, check_request],
                route_handlers=[status.get_status, status.live_metrics],
            ),
            # These answer with credentials (tokens, an API key): never stored for replay.
            # (The idempotency middleware acts on POST only; other methods share either Router.)
            Router(
                path="/",
                guards=[authorize, check_request],
                route_handlers=[
                    auth.log_in,
                    auth.refresh,
                    auth.register_device,
                    auth.change_password,
                    workspaces.create_api_key,
                    # They answer with a webhook's signing secret.
                    webhooks.subscribe,
                    webhooks.rotate_secret,
                    # The vault's answers hold vault tokens and decrypted contents.
                    vault.VaultPinController,
                    vault.VaultController,
                    vault_release.confirm_beneficiary,
                    vault_release.open_release,
                ],
            ),
            Router(
                path="/",
                guards=[authorize, check_request],
                middleware=[idempotency_middleware],
                route_handlers=[
                    auth.sign_up,
                    auth.log_out,
                    auth.me,
                    auth.rename,
                    auth.attach_credentials,
                    auth.request_email_verification,
                    auth.verify_email,
                    auth.request_password_reset,
                    auth.reset_password,
                    admin.change_system_role,
                    admin.read_mailbox,
                    jobs.JobsController,
                    jobs.process_jobs,
                    workspaces.create_workspace,
                    workspaces.rename_workspace,
                    workspaces.change_settings,
                    workspaces.delete_workspace,
                    workspaces.invite_member,
                    workspaces.revoke_invitation,
                    workspaces.accept_invitation,
                    workspaces.decline_invitation,
                    workspaces.change_member_role,
                    workspaces.remove_member,
                    workspaces.leave_workspace,
                    workspaces.revoke_api_key,
                    ledger.open_account,
                    ledger.record_transaction,
                    ledger.amend_transaction,
                    ledger.delete_transaction,
                    ledger.restore_transaction,
                    ledger.update_account,
                    ledger.close_account,
                    ledger.reopen_account,
                    ledger.value_account,
                    ledger.record_transfer,
                    ledger.split_transaction,
                    ledger.categorize_transactions,
                    categories.add_category,
                    categories.change_category,
                    categories.merge_category,
                    imports.import_statement,
                    imports.record_rates,
                    imports.upload_rates,
                    imports.reconcile_account,
                    imports.save_import_profile,
                    imports.change_import_profile,
                    imports.remove_import_profile,
                    ledger.reconcile_transaction,
                    rules.add_rule,
                    rules.change_rule,
                    rules.remove_rule,
                    rules.reorder_rules,
                    rules.preview_rules,
                    attachments.attach_file,
                    attachments.detach_file,
                    budgets.create_budget,
                    budgets.change_budget,
                    budgets.delete_budget,
                    budgets.create_alert_rule,
                    budgets.change_alert_rule,
                    budgets.delete_alert_rule,
                    webhooks.change_subscription,
                    webhooks.delete_subscription,
                    webhooks.redeliver,
                    webhooks.replay,
                    notifications.mark_read,
                    notifications.mark_all_read,
                    notifications.dismiss,
                    goals.create_goal,
                    goals.change_goal,
                    goals.delete_goal,
                    goals.contribute,
                    risk.review_risk,
                    schedules.create_schedule,
                    schedules.change_schedule,
                    schedules.delete_schedule,
                    forecasts.make_forecast,
                    engagement.accept_challenge,
                    engagement.report_progress,
                    engagement.claim_challenge,
                    engagement.change_buckets,
                    engagement.record_reflection,
                    engagement.choose_persona,
                    research.give_consent,
                    research.change_data_mode,
                    research.record_response,
                    research.log_event,
                    research.record_progress_snapshot,
                    research.record_challenge_metrics,
                    reports.ReportsController,
                ],
            ),
        ],
        middleware=[
            rate_limits.rate_limit_middleware(rate_limit_tier, frozenset({"/api/auth/login"})),
        ],
        dependencies={
            "principal": Provide(provide_principal, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "identity": Provide(provide_identity, sync_to_thread=False),
            "workspaces": Provide(provide_workspaces, sync_to_thread=False),
            "ledger": Provide(provide_ledger, sync_to_thread=False),
            "budgeting": Provide(provide_budgeting, sync_to_thread=False),
            "webhooks": Provide(provide_webhooks, sync_to_thread=False),
            "engagement": Provide(provide_engagement, sync_to_thread=False),
            "goals": Provide(provide_goals, sync_to_thread=False),
            "risk": Provide(risk.provide_risk, sync_to_thread=False),
            "scheduling": Provide(provide_scheduling, sync_to_thread=False),
            "forecasting": Provide(forecasts.provide_forecasting, sync_to_thread=False),
            "reporting": Provide(reports.provide_reporting, sync_to_thread=False),
            "vault": Provide(vault.provide_vault, sync_to_thread=False),
            "mailer": Provide(provide_mailer, sync_to_thread=False),
        },
        exception_handlers={**EXCEPTION_HANDLERS, DomainError: on_domain_error},
        lifespan=[lifespan],
        state=State({"settings": settings, "metrics": metrics}),
        cors_config=cors(settings),
        logging_config=None,  # logging is structlog JSON, configured by the process
        openapi_config=openapi.config(
            "centsource command API", openapi.Side(idempotency=idempotency_middleware)
        ),
        request_max_body_size=1_048_576,
    )
    app.asgi_handler = request_middleware(app.asgi_handler, metrics)
    return app


def serve(settings: Settings) -> None:
    """``centsource command-api``."""
    configure_logging(settings.log_level)
    settings.require()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.command_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=3,  # a request still running (an import) does not hold a stop
        # h11 refuses a request whose headers pass 16 KB; uvicorn's httptools parser (taken
        # when installed) reads them without a bound: 200 MB of one header grew it by 190 MB.
        http="h11",
    )
