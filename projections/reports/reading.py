"""The SQL behind a report: the log position the read models have reached, and what the
figures are computed from there (lines, times, series, names, categories, budgets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any
from uuid import UUID

import psycopg

from domain.reporting.periods import ReportPeriod
from infra.tasks import both
from projections.insights import health_rows, recurring, rows
from projections.insights.model import Line
from projections.ledger import view as ledger_view
from projections.reports.figures import BudgetRow, ReportData, lines_start, occurrences_start
from projections.runtime import wait_for_projections

Conn = psycopg.AsyncConnection[dict[str, Any]]
# A report is computed from these read models, once each has reached the log's head.
READ_MODELS = ("transactions", "ledger", "budgets", "workspaces", "users")


@dataclass(frozen=True)
class Workspace:
    name: str
    base_currency: str
    timezone: str
    week_start: str


async def caught_up(conn: Conn) -> int:
    """The head of the log, once every read model a report reads has reached it (a
    TimeoutError after 30 s): the position the report is computed at."""
    row = await (
        await conn.execute("SELECT coalesce(max(notification_id), 0) AS n FROM centsource_events")
    ).fetchone()
    head = 0 if row is None else int(row["n"])
    await wait_for_projections(conn, READ_MODELS, head)
    return head


async def workspace(conn: Conn, workspace_id: UUID) -> Workspace:
    row = await (
        await conn.execute(
            "SELECT name, base_currency, timezone, week_start FROM workspaces WHERE id = %s",
            (workspace_id,),
        )
    ).fetchone()
    if row is None:
        return Workspace("", "EUR", "UTC", "MONDAY")
    return Workspace(row["name"], row["base_currency"], row["timezone"], row["week_start"])


async def user_name(conn: Conn, user_id: UUID) -> str | None:
    row = await (await conn.execute("SELECT name FROM users WHERE id = %s", (user_id,))).fetchone()
    return None if row is None else str(row["name"])


async def report_data(
    conn: Conn,
    workspace_id: UUID,
    period: ReportPeriod,
    categories: list[UUID] | None,
    include_insights: bool,
    second: Conn | None = None,
) -> ReportData:
    """With a ``second`` connection the recurring series' two years of transactions are read
    on it while the lines are read on ``conn``: the database reads both at once."""
    place = await workspace(conn, workspace_id)
    rates = await ledger_view.Rates.load(conn, workspace_id)
    conversion = ledger_view.Conversion(rates, place.base_currency)
    first = lines_start(period, place.week_start) if include_insights else period.start

    async def recent() -> tuple[list[Line], dict[UUID, time]]:
        lines = await rows.lines(conn, workspace_id, first, period.end)
        if not include_insights:
            return lines, {}
        return lines, await rows.times(conn, workspace_id, period.start, period.end)

    async def history(on: Conn) -> recurring.Grouped:
        if not include_insights:
            return recurring.Grouped({})
        start = occurrences_start(period)
        return recurring.from_parts(await rows.series_parts(on, workspace_id, start, period.end))

    if second is None:
        (lines, times), found = await recent(), await history(conn)
    else:
        (lines, times), found = await both(recent(), history(second))
    return ReportData(
        period=period,
        lines=lines,
        times=times,
        grouped=found,
        conversion=conversion,
        names=await rows.category_names(conn, workspace_id),
        tree=await rows.category_tree(conn, workspace_id),
        active_budgets=await rows.active_budgets(conn, workspace_id, period.end),
        budgets=await budget_rows(conn, workspace_id, period),
        workspace_id=workspace_id,
        categories=categories,
        include_insights=include_insights,
        week_start=place.week_start,
    )


async def budget_rows(conn: Conn, workspace_id: UUID, period: ReportPeriod) -> list[BudgetRow]:
    """The periods of active budgets ending in the report's period, as budget progress counts
    them (the figures keep those lying wholly inside it)."""
    found = await health_rows.budget_periods(conn, workspace_id, period.start, period.end)
    if not found:
        return []
    scopes = {
        row["id"]: (row["currency"], tuple(row["category_ids"]))
        for row in await (
            await conn.execute(
                "SELECT id, currency, category_ids FROM budgets WHERE workspace_id = %s",
                (workspace_id,),
            )
        ).fetchall()
    }
    return [
        BudgetRow(
            budget_id=p.budget_id,
            name=p.name,
            currency=scopes[p.budget_id][0],
            category_ids=scopes[p.budget_id][1],
            start=p.start,
            end=p.end,
            limit=p.limit,
            spent=p.spent,
        )
        for p in found
        if p.budget_id in scopes
    ]
