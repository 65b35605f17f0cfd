"""Tables of the transactions projection, and the queries the read API asks of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from psycopg import sql

from projections.pages import PageMeta
from projections.transactions.model import (
    AttachmentView,
    TransactionPage,
    TransactionView,
)

# The rows transactions_category_days counts: a category's expenses.
COUNTED = "category_id IS NOT NULL AND amount < 0 AND transfer_id IS NULL AND NOT deleted"

# Each category's days summed from the rows, where none are summed yet.
SUM_DAYS = f"""INSERT INTO transactions_category_days
    SELECT workspace_id, category_id, currency, date, count(*), trim_scale(sum(-amount)),
        trim_scale(sum(amount * amount))
    FROM transactions WHERE {COUNTED} AND NOT EXISTS (SELECT FROM transactions_category_days)
    GROUP BY workspace_id, category_id, currency, date"""  # noqa: S608 - constants only

TABLES = (
    """CREATE TABLE IF NOT EXISTS transactions (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        account_id uuid NOT NULL,
        date date NOT NULL,
        time time,
        amount numeric NOT NULL,
        currency text NOT NULL,
        description text NOT NULL,
        merchant text,
        series_name text,
        category_id uuid,
        categorized_by text,
        confidence numeric,
        user_corrected boolean NOT NULL DEFAULT false,
        tags text[] NOT NULL,
        notes text,
        splits jsonb NOT NULL DEFAULT '[]',
        transfer_id uuid,
        counter_account_id uuid,
        external_id text,
        import_id uuid,
        reconciled boolean NOT NULL DEFAULT false,
        deleted boolean NOT NULL DEFAULT false,
        deleted_at timestamptz,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS transactions_by_date ON transactions (workspace_id, date DESC, id)",
    # A table from before these columns gets them (its rows need a rebuild to fill them).
    *(
        f"ALTER TABLE transactions ADD COLUMN IF NOT EXISTS {column}"
        for column in (
            "category_id uuid",
            "categorized_by text",
            "confidence numeric",
            "user_corrected boolean NOT NULL DEFAULT false",
            "splits jsonb NOT NULL DEFAULT '[]'",
            "transfer_id uuid",
            "counter_account_id uuid",
            "external_id text",
            "import_id uuid",
            "deleted_at timestamptz",
            "reconciled boolean NOT NULL DEFAULT false",
            "time time",
            "series_name text",
        )
    ),
    # A category's and an account's transactions by date, and a merchant's: what the risk
    # watch reads per expense.
    "CREATE INDEX IF NOT EXISTS transactions_by_category_date "
    "ON transactions (workspace_id, category_id, date)",
    "DROP INDEX IF EXISTS transactions_by_category",
    "CREATE INDEX IF NOT EXISTS transactions_by_account_date "
    "ON transactions (workspace_id, account_id, date)",
    # A merchant's first 100 characters: an index row has a size limit, a name has none.
    "CREATE INDEX IF NOT EXISTS transactions_by_merchant_prefix "
    "ON transactions (workspace_id, left(lower(btrim(merchant)), 100))",
    "CREATE INDEX IF NOT EXISTS transactions_by_creation "
    "ON transactions (workspace_id, created_at DESC, id)",
    # Split transactions by date: insights read their parts apart from the rest, and without
    # it the planner scans the whole table for the few there are.
    "CREATE INDEX IF NOT EXISTS transactions_split_by_date "
    "ON transactions (workspace_id, date) WHERE splits <> '[]'",
    # Rows kept before series names were (none once the table is rebuilt): recurring-series
    # detection reads them apart.
    "CREATE INDEX IF NOT EXISTS transactions_unnamed "
    "ON transactions (workspace_id) WHERE series_name IS NULL",
    # Each category's expenses of a day, summed (not deleted, not transfer legs): the risk
    # watch scores a new expense against its category's last 180 days from these, a day a
    # row, where reading the transactions themselves grew with the category's history.
    """CREATE TABLE IF NOT EXISTS transactions_category_days (
        workspace_id uuid NOT NULL,
        category_id uuid NOT NULL,
        currency text NOT NULL,
        date date NOT NULL,
        count integer NOT NULL,
        total numeric NOT NULL,
        squares numeric NOT NULL,
        PRIMARY KEY (workspace_id, category_id, currency, date)
    )""",
    # A table of transactions from before it: summed once, when it is still empty.
    SUM_DAYS,
    # Receipts and other files; their contents are kept apart (infra/blobs.py).
    """CREATE TABLE IF NOT EXISTS transaction_attachments (
        id uuid PRIMARY KEY,
        transaction_id uuid NOT NULL,
        workspace_id uuid NOT NULL,
        file_name text NOT NULL,
        media_type text NOT NULL,
        size integer NOT NULL,
        sha256 text NOT NULL,
        created_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS transaction_attachments_by_transaction "
    "ON transaction_attachments (transaction_id)",
)

SORTS = {
    "date": "t.date, t.id",
    "-date": "t.date DESC, t.id DESC",
    "amount": "t.amount, t.id",
    "-amount": "t.amount DESC, t.id DESC",
    "description": "t.description, t.id",
    "-description": "t.description DESC, t.id DESC",
    "created_at": "t.created_at, t.id",
    "-created_at": "t.created_at DESC, t.id DESC",
    "-deleted_at": "t.deleted_at DESC, t.id DESC",
}

# Category names come from the ledger read model's categories, joined as ``c``.
COLUMNS = (
    "t.id, t.workspace_id, t.account_id, t.date, t.time, t.amount::text AS amount, t.currency, "
    "CASE WHEN t.transfer_id IS NOT NULL THEN 'transfer' WHEN t.amount > 0 THEN 'income' "
    "ELSE 'expense' END AS type, t.description, t.merchant, t.category_id, c.name AS category, "
    "t.categorized_by, t.confidence::text AS confidence, t.user_corrected, t.tags, t.notes, "
    "t.splits, t.transfer_id, t.counter_account_id, t.import_id, t.reconciled, t.deleted, "
    "t.deleted_at, "
    "t.version, t.created_at, t.updated_at"
)
FROM = "transactions t LEFT JOIN ledger_categories c ON c.id = t.category_id"


@dataclass(frozen=True)
class TransactionFilter:
    q: str | None = None
    type: str | None = None
    category: str | None = None  # an id, a name or a system slug; subcategories included
    account_id: UUID | None = None
    deleted: bool = False
    reconciled: bool | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    from_date: date | None = None
    to_date: date | None = None

    def where(self, workspace_id: UUID) -> tuple[sql.Composed, list[Any]]:
        clauses = [sql.SQL("t.workspace_id = %s"), sql.SQL("t.deleted = %s")]
        params: list[Any] = [workspace_id, self.deleted]
        if self.q:
            clauses.append(
                sql.SQL(
                    "(t.description ILIKE %s OR t.merchant ILIKE %s OR t.notes ILIKE %s "
                    "OR c.name ILIKE %s)"
                )
            )
            pattern = (
                "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            params += [pattern] * 4
        if self.type == "income":
            clauses.append(sql.SQL("t.amount > 0 AND t.transfer_id IS NULL"))
        elif self.type == "expense":
            clauses.append(sql.SQL("t.amount < 0 AND t.transfer_id IS NULL"))
        elif self.type == "transfer":
            clauses.append(sql.SQL("t.transfer_id IS NOT NULL"))
        if self.category:
            clauses.append(
                sql.SQL(
                    "t.category_id IN (SELECT k.id FROM ledger_categories k "
                    "LEFT JOIN ledger_categories p ON p.id = k.parent_id "
                    "WHERE k.workspace_id = %s AND (k.id::text = %s OR p.id::text = %s "
                    "OR lower(k.name) = lower(%s) OR lower(p.name) = lower(%s) "
                    "OR k.slug = %s OR p.slug = %s))"
                )
            )
            params += [workspace_id, *[self.category] * 6]
        if self.account_id:
            clauses.append(sql.SQL("t.account_id = %s"))
            params.append(self.account_id)
        if self.reconciled is not None:
            clauses.append(sql.SQL("t.reconciled = %s"))
            params.append(self.reconciled)
        if self.tags:
            clauses.append(sql.SQL("t.tags @> %s"))
            params.append(list(self.tags))
        # Amount bounds are on the size of the amount: "over 100" means income or expense.
        if self.min_amount is not None:
            clauses.append(sql.SQL("abs(t.amount) >= %s"))
            params.append(self.min_amount)
        if self.max_amount is not None:
            clauses.append(sql.SQL("abs(t.amount) <= %s"))
            params.append(self.max_amount)
        if self.from_date:
            clauses.append(sql.SQL("t.date >= %s"))
            params.append(self.from_date)
        if self.to_date:
            clauses.append(sql.SQL("t.date <= %s"))
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
            sql.SQL("SELECT count(*) AS n FROM {} WHERE {}").format(sql.SQL(FROM), condition),
            params,
        )
    ).fetchone()
    total = int(count_row["n"]) if count_row else 0
    rows = await (
        await conn.execute(
            sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT %s OFFSET %s").format(
                sql.SQL(COLUMNS), sql.SQL(FROM), condition, sql.SQL(SORTS[sort])
            ),
            [*params, page_size, (page - 1) * page_size],
        )
    ).fetchall()
    return TransactionPage(
        data=[msgspec.convert(row, TransactionView) for row in rows],
        meta=PageMeta.of(page, page_size, total),
    )


async def get_transaction(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, transaction_id: UUID
) -> TransactionView | None:
    cursor = await conn.execute(
        sql.SQL("SELECT {} FROM {} WHERE t.workspace_id = %s AND t.id = %s").format(
            sql.SQL(COLUMNS), sql.SQL(FROM)
        ),
        (workspace_id, transaction_id),
    )
    row = await cursor.fetchone()
    return None if row is None else msgspec.convert(row, TransactionView)


# An export's columns are the ones an import reads back (see domain/ledger/statements).
EXPORT_COLUMNS = (
    "t.id, t.date, t.time, t.amount::text AS amount, t.currency, t.description, t.merchant, "
    "CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' > ' || c.name END AS category, "
    "t.tags, t.notes, a.name AS account, t.account_id, t.splits"
)
EXPORT_FROM = (
    f"{FROM} LEFT JOIN ledger_categories p ON p.id = c.parent_id "
    "LEFT JOIN ledger_accounts a ON a.id = t.account_id"
)


async def export_rows(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, where: TransactionFilter
) -> AsyncIterator[dict[str, Any]]:
    """Oldest first, fetched as they are sent: an export of any size holds little memory."""
    condition, params = where.where(workspace_id)
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY t.date, t.created_at, t.id").format(
        sql.SQL(EXPORT_COLUMNS), sql.SQL(EXPORT_FROM), condition
    )
    async for row in conn.cursor().stream(query, params, size=500):
        yield row


async def list_attachments(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, transaction_id: UUID
) -> list[AttachmentView]:
    rows = await (
        await conn.execute(
            "SELECT id, transaction_id, file_name, media_type, size, sha256, created_at "
            "FROM transaction_attachments WHERE workspace_id = %s AND transaction_id = %s "
            "ORDER BY created_at, id",
            (workspace_id, transaction_id),
        )
    ).fetchall()
    return [AttachmentView(**row) for row in rows]
