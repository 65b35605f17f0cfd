"""Every projection by name, and the entry points of the processes that run them."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor

import psycopg
import structlog

from infra import metrics
from infra.health import FAILING_AFTER
from infra.logs import configure_logging
from infra.processes import tune_collector
from infra.settings import Settings
from projections import following, rebuilds, runtime
from projections.activities.projector import ActivitiesProjection
from projections.audit_trail.projector import AuditTrailProjection
from projections.budget_watch.projector import BudgetWatch
from projections.budgets.projector import BudgetsProjection
from projections.dashboard.projector import DashboardProjection
from projections.engagement.projector import EngagementProjection
from projections.engagement_watch.projector import EngagementWatch
from projections.forecasts.projector import ForecastsProjection
from projections.gamification.projector import GamificationProjection
from projections.goals.projector import GoalsProjection
from projections.ledger.projector import LedgerProjection
from projections.notifications.projector import NotificationsProjection
from projections.notifier.projector import Notifier
from projections.partitions import Partition
from projections.relay.projector import RelayProjection
from projections.report_watch.projector import ReportWatch
from projections.reports.projector import ReportsProjection
from projections.research.projector import ResearchProjection
from projections.risk_flags.projector import RiskFlagsProjection
from projections.risk_watch.projector import RiskWatch
from projections.runtime import Projection
from projections.schedule_watch.projector import ScheduleWatch
from projections.schedules.projector import SchedulesProjection
from projections.transactions.projector import TransactionsProjection
from projections.users.projector import UsersProjection
from projections.vault.projector import VaultProjection
from projections.vault_watch.projector import VaultWatch
from projections.webhooks.projector import WebhooksProjection
from projections.workspaces.projector import WorkspacesProjection

READ_MODELS = (
    "workspaces",
    "users",
    "activities",
    "transactions",
    "ledger",
    "dashboard",
    "audit_trail",
    "budgets",
    "webhooks",
    "notifications",
    "goals",
    "schedules",
    "risk_flags",
    "forecasts",
    "gamification",
    "engagement",
    "research",
    "reports",
    "vault",
)
# They act on what happens (record crossings, send mail) and are never rebuilt: a replay would
# act again. `centsource project` runs them beside the read models.
PROCESS_MANAGERS = (
    "budget_watch",
    "notifier",
    "risk_watch",
    "schedule_watch",
    "engagement_watch",
    "report_watch",
    "vault_watch",
)
# Read models whose rows for a workspace follow from that workspace's events alone, so each
# can run as N partitions by workspace (`centsource project NAME --partition K/N`), several
# processes sharing its work. The others read rows that another workspace's events, or
# events of no workspace, write (rates, users), or act on what happens (process managers).
PARTITIONABLE = ("transactions", "dashboard")
log = structlog.get_logger("projections")


def build(settings: Settings) -> dict[str, Projection]:
    projections: list[Projection] = [
        WorkspacesProjection(),
        UsersProjection(),
        ActivitiesProjection(),
        TransactionsProjection(),
        LedgerProjection(),
        DashboardProjection(),
        AuditTrailProjection(),
        BudgetsProjection(),
        WebhooksProjection(),
        BudgetWatch(settings),
        RiskWatch(settings),
        RiskFlagsProjection(),
        NotificationsProjection(),
        GoalsProjection(),
        SchedulesProjection(),
        ForecastsProjection(),
        ReportsProjection(),
        ScheduleWatch(settings),
        ReportWatch(settings),
        VaultProjection(),
        VaultWatch(settings),
        GamificationProjection(),
        EngagementProjection(),
        ResearchProjection(),
        EngagementWatch(settings),
        Notifier(settings),
        RelayProjection(settings.nats, settings.nats_stream),
    ]
    return {projection.name: projection for projection in projections}


def select(settings: Settings, names: list[str]) -> list[Projection]:
    known = build(settings)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown projection {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[name] for name in names]


async def run_all(
    settings: Settings,
    projections: list[Projection],
    reported: metrics.ProjectionMetrics | None = None,
    partition: Partition | None = None,
) -> None:
    watcher = following.LogWatcher(settings)
    async with asyncio.TaskGroup() as group:
        group.create_task(watcher.run())
        for projection in projections:
            group.create_task(following.run(settings, projection, watcher, reported, partition))


async def serve(
    settings: Settings,
    projections: list[Projection],
    process: str,
    partition: Partition | None = None,
) -> None:
    """Runs the projections until SIGINT or SIGTERM, then stops between batches' commits;
    their metrics are served on CENTSOURCE_METRICS_PORT plus the process's offset."""
    reported = metrics.ProjectionMetrics()
    metrics.serve(reported, settings.host, metrics.port_of(settings.metrics_port, process))
    loop = asyncio.get_running_loop()
    running = asyncio.ensure_future(run_all(settings, projections, reported, partition))
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, running.cancel)
    try:
        await running
    except asyncio.CancelledError:
        log.info("stopped", projections=[p.name for p in projections])


def project(settings: Settings, names: list[str], partition: str | None = None) -> None:
    """``centsource project [NAME …] [--partition K/N]``: the read models named (all by
    default), live; with a partition, only its workspaces' events of each."""
    configure_logging(settings.log_level)
    part = None if partition is None else parse_partition(partition, names)
    projections = select(settings, names or [*READ_MODELS, *PROCESS_MANAGERS])
    log.info(
        "projecting",
        projections=[p.name for p in projections],
        partition=None if part is None else f"{part.index}/{part.count}",
    )
    asyncio.run(serve(settings, projections, "project", part))


def parse_partition(text: str, names: list[str]) -> Partition:
    """``--partition K/N`` for these projections; SystemExit saying why it cannot be."""
    try:
        partition = Partition.parse(text)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    refused = [name for name in names if name not in PARTITIONABLE]
    if not names or refused:
        raise SystemExit(
            f"only these run as partitions: {', '.join(PARTITIONABLE)}; name them "
            f"(not {', '.join(refused) or 'every projection'})"
        )
    return partition


def partition(settings: Settings, name: str, count: int) -> None:
    """``centsource projections partition NAME COUNT``: the read model runs as ``count``
    partitions from now on (1: as one); the runners of the old count stop."""
    configure_logging(settings.log_level)
    if name not in PARTITIONABLE and count != 1:
        raise SystemExit(f"only these run as partitions: {', '.join(PARTITIONABLE)}")
    if count < 1:
        raise SystemExit("a projection runs as 1 partition or more")
    [projection] = select(settings, [name])
    position = asyncio.run(_repartition(settings, projection, count))
    print(f"{name} runs as {count} partition{'s' if count > 1 else ''} from position {position}")


async def _repartition(settings: Settings, projection: Projection, count: int) -> int:
    conn = await runtime.open_connection(settings)
    try:
        await runtime.create_tables(conn, projection)
        return await runtime.repartition(conn, projection, count)
    finally:
        await projection.close()
        await conn.close()


def relay(settings: Settings) -> None:
    """``centsource relay``: every event to JetStream."""
    configure_logging(settings.log_level)
    asyncio.run(serve(settings, select(settings, ["relay"]), "relay"))


def status(settings: Settings) -> None:
    """``centsource projections status``: where each projection stands; FAILING, with its last
    error's class, once FAILING_AFTER batches in a row have failed."""
    head, standing = asyncio.run(runtime.standing(settings))
    print(f"{'projection':<18}{'position':>12}{'head':>12}{'behind':>10}  state")
    # A partitioned projection's row (the least of its partitions'), then each partition's.
    listed = [
        name
        for projection in build(settings)
        for name in [projection, *sorted(n for n in standing if n.startswith(f"{projection}#"))]
    ]
    for name in listed:
        row = standing.get(name, {})
        position = row.get("position", 0)
        failures = row.get("failures", 0)
        state = "ok"
        if failures >= FAILING_AFTER:
            state = (
                f"FAILING ({row['last_error']}, {failures} in a row since {row['failing_since']})"
            )
        elif failures:
            state = f"retrying ({row['last_error']})"
        print(f"{name:<18}{position:>12}{head:>12}{head - position:>10}  {state}")


def rebuild(settings: Settings, names: list[str]) -> None:
    """Rebuilds the named read models (``all``: every one), the CLI's way."""
    configure_logging(settings.log_level)
    names = list(READ_MODELS) if names == ["all"] else list(dict.fromkeys(names))
    position = rebuild_read_models(settings, names)
    print(f"rebuilt {', '.join(names)} up to position {position}")


def rebuild_read_models(settings: Settings, names: list[str], processes: int | None = None) -> int:
    """Rebuilds the named read models in ``processes`` processes (one per core by default),
    each replaying its share of them together from one read of the log; returns the least
    position they were swapped in at. Shares are balanced by the events each read model
    handles: one Python process replaying them all kept one core busy, while PostgreSQL
    used about half of the other."""
    unknown = [name for name in names if name not in READ_MODELS]
    if unknown:
        raise SystemExit(f"only read models can be rebuilt: {', '.join(READ_MODELS)}")
    count = min(processes or os.cpu_count() or 1, len(names))
    if count <= 1:
        return asyncio.run(rebuilds.rebuild(settings, *select(settings, names)))
    shares = rebuilds.shares(select(settings, names), asyncio.run(_topics(settings)), count)
    spawn = multiprocessing.get_context("spawn")  # nothing of this process's loop or pools
    with ProcessPoolExecutor(len(shares), mp_context=spawn) as pool:
        return min(pool.map(_rebuild_share, [settings] * len(shares), shares))


def _rebuild_share(settings: Settings, names: list[str]) -> int:
    configure_logging(settings.log_level)
    # A spawned process starts with the collector's defaults: a replay keeps batches of
    # events alive (the queues ahead), which they walked again and again.
    tune_collector()
    return asyncio.run(rebuilds.rebuild(settings, *select(settings, names)))


async def _topics(settings: Settings) -> dict[str, int]:
    """How many events of each topic the log holds."""
    conn = await runtime.open_connection(settings)
    try:
        rows = await (
            await conn.execute(
                f"SELECT topic, count(*) AS n FROM {runtime.EVENTS_TABLE} GROUP BY topic"  # noqa: S608
            )
        ).fetchall()
    except psycopg.errors.UndefinedTable:  # no event yet
        return {}
    finally:
        await conn.close()
    return {row["topic"]: row["n"] for row in rows}
