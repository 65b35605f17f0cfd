"""A workspace's monthly spending up to a date, asked of the transactions read model once it
has caught up with the log: what a spending forecast is computed from.

Spending is the expenses (amount below 0) that are no transfer and not deleted, in the base
currency only (a read model of rates is not the command side's to use), as a size per
calendar month and category."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from command_api.transaction_index import Pool, caught_up
from domain.forecasting.forecast import History, MonthTotal


async def monthly_spending(pool: Pool, workspace_id: UUID, currency: str, as_of: date) -> History:
    async with pool.connection() as conn:
        await caught_up(conn)
        rows = await (
            await conn.execute(
                "SELECT date_trunc('month', date)::date AS month, category_id, "
                "-sum(amount) AS spent, min(date) AS first FROM transactions "
                "WHERE workspace_id = %s AND currency = %s AND amount < 0 "
                "AND transfer_id IS NULL AND NOT deleted AND date <= %s "
                "GROUP BY 1, 2 ORDER BY 1, 2",
                (workspace_id, currency, as_of),
            )
        ).fetchall()
    totals = tuple(
        MonthTotal(row["month"], row["category_id"], Decimal(row["spent"])) for row in rows
    )
    first = min((row["first"] for row in rows), default=None)
    return History(first, as_of, totals)
