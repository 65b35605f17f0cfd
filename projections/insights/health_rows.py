"""The SQL behind the health score and the overview: account balances on given days and
budgets' periods.

Kept apart from ``rows.py`` (the lines every insight reads) because only the health score reads
the ledger's balances and the budgets' tables.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import psycopg

from domain.budgeting.application import spent_under
from domain.budgeting.budget import rollover
from domain.budgeting.periods import Period, period_of
from projections.budgets import view as budgets_view
from projections.insights.model import AccountBalance, BudgetPeriod

Conn = psycopg.AsyncConnection[dict[str, Any]]


async def balances(conn: Conn, workspace_id: UUID, days: list[date]) -> list[AccountBalance]:
    """Every account's balance on each of ``days``, as the ledger reads it: the latest
    valuation on or before the day plus what moved after it, else the opening balance plus
    everything up to the day."""
    rows = await (
        await conn.execute(
            "SELECT a.id AS account_id, a.type, a.currency, d.day, "
            "coalesce(v.value, a.opening_balance) + coalesce((SELECT sum(x.change) "
            "  FROM ledger_account_days x WHERE x.account_id = a.id AND x.date <= d.day "
            "  AND (v.date IS NULL OR x.date > v.date)), 0) AS balance "
            "FROM ledger_accounts a CROSS JOIN unnest(%s::date[]) AS d(day) "
            "LEFT JOIN LATERAL (SELECT date, value FROM ledger_valuations "
            "  WHERE account_id = a.id AND date <= d.day ORDER BY date DESC LIMIT 1) v ON true "
            "WHERE a.workspace_id = %s ORDER BY d.day, a.id",
            (days, workspace_id),
        )
    ).fetchall()
    return [AccountBalance(**row) for row in rows]


async def budget_periods(
    conn: Conn, workspace_id: UUID, start: date, end: date
) -> list[BudgetPeriod]:
    """The periods of the workspace's active budgets that end from ``start`` to ``end``, each
    with its limit (rollover included) and what was spent, as budget progress counts them."""
    parents, _ = await budgets_view.categories(conn, workspace_id)
    found = []
    for budget in await budgets_view.workspace_budgets(conn, workspace_id):
        view = budget.view
        if not view.active:
            continue
        day = max(start.replace(day=1), view.start_date)
        while day <= end:
            period = period_of(budget.kind, view.start_date, view.end_date, day)
            if period is None or period.end > end:
                break
            if period.end >= start:
                found.append(await _budget_period(conn, budget, period, parents))
            day = period.end + timedelta(days=1)
    return found


async def current_budget_periods(
    conn: Conn, workspace_id: UUID, day: date
) -> list[tuple[BudgetPeriod, str]]:
    """The period holding ``day`` of each active budget running then, counted as
    ``budget_periods`` counts them, with the currency of the budget."""
    parents, _ = await budgets_view.categories(conn, workspace_id)
    found = []
    for budget in await budgets_view.workspace_budgets(conn, workspace_id):
        view = budget.view
        if not view.active or view.start_date > day or (view.end_date or day) < day:
            continue
        period = budget.period_of(day)
        found.append((await _budget_period(conn, budget, period, parents), view.currency))
    return found


async def _budget_period(
    conn: Conn, budget: budgets_view.Budget, period: Period, parents: dict[UUID, UUID]
) -> BudgetPeriod:
    """A budget's limit in the period (rollover included) and what was spent under it."""
    view = budget.view
    now, before = await budgets_view.period_spending(conn, budget, period)
    scope = tuple(view.category_ids)
    previous = None if before is None else spent_under(before, parents, scope)
    return BudgetPeriod(
        budget_id=view.id,
        name=view.name,
        start=period.start,
        end=period.end,
        limit=budget.amount + rollover(budget.amount, previous),
        spent=spent_under(now, parents, scope),
    )


async def first_date(conn: Conn, workspace_id: UUID) -> date | None:
    """The date of the workspace's first transaction that is not deleted, None without one."""
    row = await (
        await conn.execute(
            "SELECT min(date) AS first FROM transactions WHERE workspace_id = %s AND NOT deleted",
            (workspace_id,),
        )
    ).fetchone()
    return None if row is None else row["first"]
