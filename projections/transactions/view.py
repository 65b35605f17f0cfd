"""Tables of the transactions projection, and the queries the read API asks of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from projections.transactions.model import PageMeta, TransactionPage, TransactionView

TABLES = (
    """CREATE TABLE IF NOT EXISTS transactions (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        account_id uuid NOT NULL,
        date date NOT NULL,
        amount numeric NOT NULL,
        currency text NOT NULL,
        description text NOT NULL,
        merchant text,
        category text,
        tags text[] NOT NULL,
        notes text,
        deleted boolean NOT NULL DEFAULT false,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS transactions_by_date ON transactions (workspace_id, date DESC, id)",
)

SORTS = {
    "date": "date, id",
    "-date": "date DESC, id DESC",
    "amount": "amount, id",
    "-amount": "amount DESC, id DESC",
    "description": "description, id",
    "-description": "description DESC, id DESC",
    "created_at": "created_at, id",
    "-created_at": "created_at DESC, id DESC",
}

COLUMNS = (
    "id, workspace_id, account_id, date, amount::text AS amount, currency, "
    "CASE WHEN amount > 0 THEN 'income' ELSE 'expense' END AS type, description, merchant, "
    "category, tags, notes, deleted, version, created_at, updated_at"
)


@dataclass(frozen=True)
class TransactionFilter:
    q: str | None = None
    type: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    from_date: date | None = None
    to_date: date | None = None

    def where(self, workspace_id: UUID) -> tuple[sql.Composed, list[Any]]:
        clauses = [sql.SQL("workspace_id = %s"), sql.SQL("NOT deleted")]
        params: list[Any] = [workspace_id]
        if self.q:
            clauses.append(
                sql.SQL(
                    "(description ILIKE %s OR merchant ILIKE %s OR notes ILIKE %s "
                    "OR category ILIKE %s)"
                )
            )
            pattern = (
                "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            params += [pattern] * 4
        if self.type == "income":
            clauses.append(sql.SQL("amount > 0"))
        elif self.type == "expense":
            clauses.append(sql.SQL("amount < 0"))
        if self.category:
            clauses.append(sql.SQL("category = %s"))
            params.append(self.category)
        if self.tags:
            clauses.append(sql.SQL("tags @> %s"))
            params.append(list(self.tags))
        # Amount bounds are on the size of the amount: "over 100" means income or expense.
        if self.min_amount is not None:
            clauses.append(sql.SQL("abs(amount) >= %s"))
            params.append(self.min_amount)
        if self.max_amount is not None:
            clauses.append(sql.SQL("abs(amount) <= %s"))
            params.append(self.max_amount)
        if self.from_date:
            clauses.append(sql.SQL("date >= %s"))
            params.append(self.from_date)
        if self.to_date:
            clauses.append(sql.SQL("date <= %s"))
            params.append(self.to_date)
        return sql.SQL(" AND ").join(clauses), params


async def list_transactions(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    workspace_id: UUID,
    where: TransactionFilter,
    sort: str,
    page: int,
    page_size: int,
) -> TransactionPage:
    condition, params = where.where(workspace_id)
    count_row = await (
        await conn.execute(
            sql.SQL("SELECT count(*) AS n FROM transactions WHERE {}").format(condition), params
        )
    ).fetchone()
    total = int(count_row["n"]) if count_row else 0
    rows = await (
        await conn.execute(
            sql.SQL("SELECT {} FROM transactions WHERE {} ORDER BY {} LIMIT %s OFFSET %s").format(
                sql.SQL(COLUMNS), condition, sql.SQL(SORTS[sort])
            ),
            [*params, page_size, (page - 1) * page_size],
        )
    ).fetchall()
    return TransactionPage(
        data=[TransactionView(**row) for row in rows],
        meta=PageMeta(
            page=page,
            page_size=page_size,
            total=total,
            total_pages=(total + page_size - 1) // page_size,
        ),
    )


async def get_transaction(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, transaction_id: UUID
) -> TransactionView | None:
    cursor = await conn.execute(
        sql.SQL("SELECT {} FROM transactions WHERE workspace_id = %s AND id = %s").format(
            sql.SQL(COLUMNS)
        ),
        (workspace_id, transaction_id),
    )
    row = await cursor.fetchone()
    return None if row is None else TransactionView(**row)
