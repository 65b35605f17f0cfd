"""Tables of the dashboard projection, and the query the read API asks of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from domain.money import in_minor_units
from projections.dashboard.model import (
    AccountBalance,
    BaseTotals,
    CategoryTotals,
    CurrencyTotals,
    Dashboard,
)
from projections.ledger import view as ledger_view

TABLES = (
    # What each transaction contributes now, so an amendment can take back the old part.
    """CREATE TABLE IF NOT EXISTS dashboard_transactions (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        account_id uuid NOT NULL,
        month date NOT NULL,
        category text NOT NULL,
        currency text NOT NULL,
        amount numeric NOT NULL,
        counted boolean NOT NULL,
        transfer boolean NOT NULL DEFAULT false
    )""",
    "ALTER TABLE dashboard_transactions ADD COLUMN IF NOT EXISTS "
    "transfer boolean NOT NULL DEFAULT false",
    # The transaction's date, the day whose rate converts it (a row from before has none).
    "ALTER TABLE dashboard_transactions ADD COLUMN IF NOT EXISTS day date",
    """CREATE TABLE IF NOT EXISTS dashboard_months (
        workspace_id uuid NOT NULL,
        month date NOT NULL,
        currency text NOT NULL,
        income numeric NOT NULL,
        expenses numeric NOT NULL,
        transaction_count integer NOT NULL,
        PRIMARY KEY (workspace_id, month, currency)
    )""",
    """CREATE TABLE IF NOT EXISTS dashboard_categories (
        workspace_id uuid NOT NULL,
        month date NOT NULL,
        currency text NOT NULL,
        category text NOT NULL,
        income numeric NOT NULL,
        expenses numeric NOT NULL,
        PRIMARY KEY (workspace_id, month, currency, category)
    )""",
    """CREATE TABLE IF NOT EXISTS dashboard_accounts (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        currency text NOT NULL,
        opening_balance numeric NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS dashboard_account_months (
        account_id uuid NOT NULL,
        month date NOT NULL,
        change numeric NOT NULL,
        PRIMARY KEY (account_id, month)
    )""",
    # The last position that changed a workspace's dashboard: the key its cache entries carry.
    """CREATE TABLE IF NOT EXISTS dashboard_workspaces (
        workspace_id uuid PRIMARY KEY,
        position bigint NOT NULL
    )""",
)


async def workspace_position(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID
) -> int:
    cursor = await conn.execute(
        "SELECT position FROM dashboard_workspaces WHERE workspace_id = %s", (workspace_id,)
    )
    row = await cursor.fetchone()
    return 0 if row is None else int(row["position"])


async def get_dashboard(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, month: date
) -> Dashboard:
    totals = await (
        await conn.execute(
            "SELECT currency, income::text AS income, expenses::text AS expenses, "
            "(income - expenses)::text AS net, transaction_count FROM dashboard_months "
            "WHERE workspace_id = %s AND month = %s AND transaction_count > 0 ORDER BY currency",
            (workspace_id, month),
        )
    ).fetchall()
    categories = await (
        await conn.execute(
            "SELECT nullif(category, '')::uuid AS category_id, NULL AS category, currency, "
            "income::text AS income, expenses::text AS expenses FROM dashboard_categories "
            "WHERE workspace_id = %s AND month = %s AND (income <> 0 OR expenses <> 0) "
            "ORDER BY expenses DESC, category",
            (workspace_id, month),
        )
    ).fetchall()
    accounts = await (
        await conn.execute(
            "SELECT a.id AS account_id, a.name, a.type, a.currency, "
            "(a.opening_balance + coalesce(sum(m.change), 0))::text AS balance "
            "FROM dashboard_accounts a LEFT JOIN dashboard_account_months m "
            "ON m.account_id = a.id AND m.month <= %s "
            "WHERE a.workspace_id = %s GROUP BY a.id ORDER BY a.name, a.id",
            (month, workspace_id),
        )
    ).fetchall()
    return Dashboard(
        workspace_id=workspace_id,
        month=month.strftime("%Y-%m"),
        totals=[CurrencyTotals(**row) for row in totals],
        categories=[CategoryTotals(**row) for row in categories],
        accounts=[AccountBalance(**row) for row in accounts],
    )


async def in_base_currency(
    conn: psycopg.AsyncConnection[dict[str, Any]], dashboard: Dashboard, first_day: date
) -> Dashboard:
    """The month's income and expenses in the workspace's base currency, each day's sums at
    the latest rate on or before that day; what was in the base currency already is summed
    exactly, what a rate converted is rounded once. Rates are read now, not cached, so a
    rate recorded later shows at once."""
    base = await ledger_view.base_currency(conn, dashboard.workspace_id)
    rows = await (
        await conn.execute(
            "SELECT coalesce(day, month) AS day, currency, "
            "coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS income, "
            "coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS expenses "
            "FROM dashboard_transactions WHERE workspace_id = %s AND month = %s AND counted "
            "AND NOT transfer GROUP BY 1, 2",
            (dashboard.workspace_id, first_day),
        )
    ).fetchall()
    rates = await ledger_view.Rates.load(conn, dashboard.workspace_id)
    conversion = ledger_view.Conversion(rates, base)
    income, expenses = ledger_view.BaseTotal(conversion), ledger_view.BaseTotal(conversion)
    for row in rows:
        income.add(row["income"], row["currency"], row["day"])
        expenses.add(row["expenses"], row["currency"], row["day"])
    net = in_minor_units(income.total - expenses.total, base)
    dashboard.base_totals = BaseTotals(
        currency=base,
        income=f"{income.total:f}",
        expenses=f"{expenses.total:f}",
        net=f"{net:f}",
        rates_used=sorted(
            conversion.used.values(), key=lambda r: (r.rate_date, r.currency, r.quote)
        ),
        unconverted=sorted(conversion.unconverted),
    )
    return dashboard


async def name_categories(
    conn: psycopg.AsyncConnection[dict[str, Any]], dashboard: Dashboard
) -> Dashboard:
    """Category names as they are now, from the ledger read model: a rename changes no
    dashboard number, so names are never part of what is cached under its position."""
    ids = [row.category_id for row in dashboard.categories if row.category_id is not None]
    rows = await (
        await conn.execute("SELECT id, name FROM ledger_categories WHERE id = ANY(%s)", (ids,))
    ).fetchall()
    names = {row["id"]: row["name"] for row in rows}
    for row in dashboard.categories:
        row.category = names.get(row.category_id)
    # Biggest spending first; ties by name, unnamed last.
    dashboard.categories.sort(
        key=lambda row: (-Decimal(row.expenses), row.category is None, row.category or "")
    )
    return dashboard
