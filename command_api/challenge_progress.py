"""A challenge's month as the claim reads it: the month's lines in the workspace's base
currency (a split transaction one line per part) and the category tree, asked of the
transactions and ledger read models once they have caught up with the log. The read API
counts progress from the same lines (``projections/insights/rows.py``), with the same
function (``domain/engagement/challenges.py``)."""

from __future__ import annotations

from uuid import UUID

from command_api.transaction_index import Pool, caught_up
from domain.engagement.challenges import MonthLine, month_bounds


async def month_lines(
    pool: Pool, workspace_id: UUID, currency: str, month: str
) -> tuple[list[MonthLine], dict[UUID, UUID | None]]:
    first, last = month_bounds(month)
    async with pool.connection() as conn:
        await caught_up(conn)
        rows = await (
            await conn.execute(
                "SELECT t.id, t.date, coalesce((s->>'amount')::numeric, t.amount) AS amount, "
                "CASE WHEN s IS NULL THEN t.category_id ELSE (s->>'category_id')::uuid END "
                "AS category_id, t.transfer_id IS NOT NULL AS transfer "
                "FROM transactions t LEFT JOIN LATERAL jsonb_array_elements(t.splits) s ON true "
                "WHERE t.workspace_id = %s AND NOT t.deleted AND t.currency = %s "
                "AND t.date BETWEEN %s AND %s",
                (workspace_id, currency, first, last),
            )
        ).fetchall()
        tree = await (
            await conn.execute(
                "SELECT id, parent_id FROM ledger_categories WHERE workspace_id = %s",
                (workspace_id,),
            )
        ).fetchall()
    lines = [
        MonthLine(r["id"], r["date"], r["amount"], r["category_id"], r["transfer"]) for r in rows
    ]
    return lines, {r["id"]: r["parent_id"] for r in tree}
