"""The SQL behind insights: the lines, months, names and settings they are computed from.

Lines come from the transactions read model (a split transaction gives one line per part, in
the part's category; deleted transactions none) joined to the ledger's accounts for their type.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from projections.insights.model import BudgetScope, CategoryNode, Line, Occurrence

Conn = psycopg.AsyncConnection[dict[str, Any]]


async def lines(conn: Conn, workspace_id: UUID, start: date, end: date) -> list[Line]:
    """Every line dated ``start`` to ``end``, both included, oldest first."""
    rows = await (
        await conn.execute(
            "SELECT t.id AS transaction_id, t.date, "
            "coalesce((s->>'amount')::numeric, t.amount) AS amount, t.currency, "
            "CASE WHEN s IS NULL THEN t.category_id ELSE (s->>'category_id')::uuid END "
            "AS category_id, t.merchant, t.description, t.transfer_id IS NOT NULL AS transfer, "
            "coalesce(a.type = 'INVESTMENT', false) AS investment "
            "FROM transactions t LEFT JOIN LATERAL jsonb_array_elements(t.splits) s ON true "
            "LEFT JOIN ledger_accounts a ON a.id = t.account_id "
            "WHERE t.workspace_id = %s AND NOT t.deleted AND t.date BETWEEN %s AND %s "
            "ORDER BY t.date, t.id",
            (workspace_id, start, end),
        )
    ).fetchall()
    return [Line(**row) for row in rows]


async def months(conn: Conn, workspace_id: UUID) -> list[date]:
    """The first day of every month holding a transaction that is not deleted."""
    rows = await (
        await conn.execute(
            "SELECT DISTINCT date_trunc('month', date)::date AS month FROM transactions "
            "WHERE workspace_id = %s AND NOT deleted",
            (workspace_id,),
        )
    ).fetchall()
    return [row["month"] for row in rows]


async def category_names(conn: Conn, workspace_id: UUID) -> dict[UUID, str]:
    """Names as they are now: a rename changes no figure, so names are never cached."""
    rows = await (
        await conn.execute(
            "SELECT id, name FROM ledger_categories WHERE workspace_id = %s", (workspace_id,)
        )
    ).fetchall()
    return {row["id"]: row["name"] for row in rows}


async def version(conn: Conn, workspace_id: UUID) -> tuple[date, str, int]:
    """Today in the workspace's time zone, the weekday its weeks start on, and the workspace's
    last position in the log (every event of a workspace is in its audit trail)."""
    row = await (
        await conn.execute(
            "SELECT w.timezone, w.week_start, (SELECT max(position) FROM audit_trail "
            "WHERE workspace_id = %s) AS position FROM workspaces w WHERE w.id = %s",
            (workspace_id, workspace_id),
        )
    ).fetchone()
    if row is None:
        return _today("UTC"), "MONDAY", 0
    return _today(row["timezone"]), row["week_start"], row["position"] or 0


async def settings(conn: Conn, workspace_id: UUID) -> tuple[date, str]:
    """Today in the workspace's time zone, and the weekday its weeks start on."""
    row = await (
        await conn.execute(
            "SELECT timezone, week_start FROM workspaces WHERE id = %s", (workspace_id,)
        )
    ).fetchone()
    if row is None:
        return _today("UTC"), "MONDAY"
    return _today(row["timezone"]), row["week_start"]


async def today(conn: Conn, workspace_id: UUID) -> date:
    """Today in the workspace's time zone."""
    return (await settings(conn, workspace_id))[0]


def _today(zone: str) -> date:
    try:
        return datetime.now(ZoneInfo(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):  # a zone this machine's tz data lacks
        return datetime.now(ZoneInfo("UTC")).date()


async def times(conn: Conn, workspace_id: UUID, start: date, end: date) -> dict[UUID, time]:
    """The local time of day of every transaction dated ``start`` to ``end``
    that has one, by its id; one recorded without a time is absent."""
    rows = await (
        await conn.execute(
            "SELECT id, time FROM transactions WHERE workspace_id = %s AND NOT deleted "
            "AND time IS NOT NULL AND date BETWEEN %s AND %s",
            (workspace_id, start, end),
        )
    ).fetchall()
    return {row["id"]: row["time"] for row in rows}


async def occurrences(conn: Conn, workspace_id: UUID, start: date, end: date) -> list[Occurrence]:
    """Every transaction dated ``start`` to ``end`` that is neither a transfer leg nor
    deleted, whole (splits not expanded), oldest first."""
    rows = await (
        await conn.execute(
            "SELECT id AS transaction_id, account_id, date, amount, currency, "
            "CASE WHEN jsonb_typeof(splits) = 'array' AND jsonb_array_length(splits) > 0 "
            "THEN NULL ELSE category_id END AS category_id, merchant, description "
            "FROM transactions WHERE workspace_id = %s AND NOT deleted "
            "AND transfer_id IS NULL AND date BETWEEN %s AND %s ORDER BY date, id",
            (workspace_id, start, end),
        )
    ).fetchall()
    return [Occurrence(**row) for row in rows]


async def category_tree(conn: Conn, workspace_id: UUID) -> list[CategoryNode]:
    """Every category's parent and system slug, as they are now."""
    rows = await (
        await conn.execute(
            "SELECT id, parent_id, slug FROM ledger_categories WHERE workspace_id = %s",
            (workspace_id,),
        )
    ).fetchall()
    return [CategoryNode(**row) for row in rows]


async def active_budgets(conn: Conn, workspace_id: UUID, today: date) -> list[BudgetScope]:
    """The budgets that are active, not deleted, and whose periods hold ``today``."""
    rows = await (
        await conn.execute(
            "SELECT id, name, category_ids FROM budgets WHERE workspace_id = %s AND active "
            "AND NOT deleted AND start_date <= %s AND (end_date IS NULL OR end_date >= %s) "
            "ORDER BY lower(name), id",
            (workspace_id, today, today),
        )
    ).fetchall()
    return [BudgetScope(**row) for row in rows]
