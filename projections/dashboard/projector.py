"""Adds each transaction into its month, category and account, and takes it back on change.

The sums are gathered in memory over a batch and written once per batch (``flush``): a batch
of 500 recordings writes its 500 transaction rows and one row per month, category, account
month and workspace it touched, each in one multi-row statement, instead of six statements
per event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.ledger.account import Account
from domain.ledger.transaction import Transaction
from projections.dashboard.view import TABLES
from projections.runtime import Cursor, Projection, columns, handles

ZERO = Decimal(0)
COLUMNS = (
    "workspace_id", "account_id", "month", "day", "category", "currency", "amount", "counted",
    "transfer",
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    """A transaction as the dashboard counts it (a row of ``dashboard_transactions``)."""

    workspace_id: UUID
    account_id: UUID
    month: date
    day: date | None
    category: str
    currency: str
    amount: Decimal
    counted: bool
    transfer: bool


class Sums:
    """One batch's changes: transaction rows to write and amounts to add to each total."""

    def __init__(self) -> None:
        self.rows: dict[UUID, Row | None] = {}  # as the batch left them; None: not in the model
        self.changed: set[UUID] = set()
        self.account_months: defaultdict[tuple[UUID, date], Decimal] = defaultdict(Decimal)
        self.months: defaultdict[tuple[UUID, date, str], list[Any]] = defaultdict(
            lambda: [ZERO, ZERO, 0]
        )
        self.categories: defaultdict[tuple[UUID, date, str, str], list[Decimal]] = defaultdict(
            lambda: [ZERO, ZERO]
        )
        self.positions: dict[UUID | None, int] = {}
        # Amendments, categorizations, deletions and restorations, in order: each changes
        # its own transaction's row only, so they wait for the batch's end and read the rows
        # of all of them at once (a statement each, before).
        self.changes: list[Any] = []

    def count(self, row: Row, sign: int) -> None:
        """Adds (+1) or takes back (-1) what a counted transaction contributes."""
        if not row.counted:
            return
        amount = row.amount * sign
        self.account_months[(row.account_id, row.month)] += amount
        if row.transfer:  # money moved between own accounts: neither income nor expense
            return
        income = amount if row.amount > 0 else ZERO
        expenses = -amount if row.amount < 0 else ZERO
        month = self.months[(row.workspace_id, row.month, row.currency)]
        month[0] += income
        month[1] += expenses
        month[2] += sign
        category = self.categories[(row.workspace_id, row.month, row.currency, row.category)]
        category[0] += income
        category[1] += expenses


class DashboardProjection(Projection):
    name = "dashboard"
    tables = TABLES

    def __init__(self) -> None:
        self.sums = Sums()

    async def before_batch(self) -> None:
        self.sums = Sums()

    @handles(Account.Opened)
    async def on_account_opened(self, cur: Cursor, event: Account.Opened, position: int) -> None:
        await cur.execute(
            "INSERT INTO dashboard_accounts (id, workspace_id, name, type, currency, "
            "opening_balance) VALUES (%s, %s, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.workspace_id,
                event.name,
                event.type,
                event.currency,
                event.opening_balance,
            ),
        )
        self.sums.positions[event.workspace_id] = position

    @handles(Account.Updated)
    async def on_account_updated(self, cur: Cursor, event: Account.Updated, position: int) -> None:
        await cur.execute(
            "UPDATE dashboard_accounts SET name = %s, type = %s WHERE id = %s",
            (event.name, event.type, event.originator_id),
        )
        self.sums.positions[event.workspace_id] = position

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(
        self, cur: Cursor, event: Transaction.Recorded, position: int
    ) -> None:
        assert event.workspace_id is not None  # a transaction is always in a workspace
        row = Row(
            workspace_id=event.workspace_id,
            account_id=event.account_id,
            month=_month(event.date),
            day=event.date,
            category=_category(event.category_id),
            currency=event.currency,
            amount=event.amount,
            counted=True,
            transfer=event.transfer_id is not None,
        )
        self._change(event.originator_id, row)
        self.sums.positions[event.workspace_id] = position

    @handles(
        Transaction.Amended, Transaction.Categorized, Transaction.Deleted, Transaction.Restored
    )
    async def on_transaction_changed(self, cur: Cursor, event: Any, position: int) -> None:
        """Kept for the batch's end, when the rows of all of them are read at once."""
        self.sums.changes.append(event)
        self.sums.positions[event.workspace_id] = position

    def _change(self, transaction_id: UUID, row: Row | None) -> None:
        """The transaction's row becomes ``row``: its old contribution is taken back and the
        new one added."""
        sums = self.sums
        old = sums.rows.get(transaction_id)
        if old is not None:
            sums.count(old, -1)
        if row is not None:
            sums.count(row, +1)
            sums.rows[transaction_id] = row
            sums.changed.add(transaction_id)

    async def _read_rows(self, cur: Cursor, ids: set[UUID]) -> None:
        """The rows of these transactions, where the batch has not left them already."""
        sums = self.sums
        unread = list(ids - sums.rows.keys())
        if not unread:  # every one recorded in the batch
            return
        await cur.execute(
            f"SELECT id, {', '.join(COLUMNS)} FROM dashboard_transactions "  # noqa: S608
            "WHERE id = ANY(%b::uuid[])",
            (unread,),
        )
        found = {row.pop("id"): Row(**row) for row in await cur.fetchall()}
        for transaction_id in unread:
            sums.rows[transaction_id] = found.get(transaction_id)

    async def flush(self, cur: Cursor) -> None:
        sums = self.sums
        if sums.changes:
            await self._read_rows(cur, {e.originator_id for e in sums.changes})
            for event in sums.changes:
                self._change(event.originator_id, _changed(sums.rows[event.originator_id], event))
        rows = [(id, row) for id in sums.changed if (row := sums.rows[id]) is not None]
        # One statement for the batch's rows (500 statements, pipelined, before), its arrays
        # sent in binary (%b): in text every element is searched for what needs quoting.
        if rows:
            await cur.execute(
                "INSERT INTO dashboard_transactions (id, workspace_id, account_id, month, day, "
                "category, currency, amount, counted, transfer) "
                "SELECT * FROM unnest(%b::uuid[], %b::uuid[], %b::uuid[], %b::date[], %b::date[], "
                "%b::text[], %b::text[], %b::numeric[], %b::bool[], %b::bool[]) "
                "ON CONFLICT (id) DO UPDATE SET "
                "account_id = excluded.account_id, month = excluded.month, day = excluded.day, "
                "category = excluded.category, currency = excluded.currency, "
                "amount = excluded.amount, counted = excluded.counted",
                columns(
                    [(id, *(getattr(r, c) for c in COLUMNS)) for id, r in rows], 1 + len(COLUMNS)
                ),
            )
        # The sums, one statement a table (each key once, so no row is hit twice).
        if sums.account_months:
            await cur.execute(
                "INSERT INTO dashboard_account_months AS d (account_id, month, change) "
                "SELECT * FROM unnest(%b::uuid[], %b::date[], %b::numeric[]) "
                "ON CONFLICT (account_id, month) DO UPDATE SET change = d.change + excluded.change",
                columns([(*key, change) for key, change in sums.account_months.items()], 3),
            )
        if sums.months:
            await cur.execute(
                "INSERT INTO dashboard_months AS d (workspace_id, month, currency, income, "
                "expenses, transaction_count) SELECT * FROM unnest(%b::uuid[], %b::date[], "
                "%b::text[], %b::numeric[], %b::numeric[], %b::integer[]) "
                "ON CONFLICT (workspace_id, month, currency) DO UPDATE SET "
                "income = d.income + excluded.income, expenses = d.expenses + excluded.expenses, "
                "transaction_count = d.transaction_count + excluded.transaction_count",
                columns([(*key, *figures) for key, figures in sums.months.items()], 6),
            )
        if sums.categories:
            await cur.execute(
                "INSERT INTO dashboard_categories AS d (workspace_id, month, currency, category, "
                "income, expenses) SELECT * FROM unnest(%b::uuid[], %b::date[], %b::text[], "
                "%b::text[], %b::numeric[], %b::numeric[]) "
                "ON CONFLICT (workspace_id, month, currency, category) DO UPDATE SET "
                "income = d.income + excluded.income, expenses = d.expenses + excluded.expenses",
                columns([(*key, *figures) for key, figures in sums.categories.items()], 6),
            )
        if sums.positions:
            await cur.execute(
                "INSERT INTO dashboard_workspaces (workspace_id, position) "
                "SELECT * FROM unnest(%b::uuid[], %b::bigint[]) "
                "ON CONFLICT (workspace_id) DO UPDATE SET position = excluded.position",
                columns(list(sums.positions.items()), 2),
            )


def _changed(row: Row | None, event: Any) -> Row | None:
    """The transaction's row after its amendment, categorization, deletion or restoration
    (None: not in the model)."""
    if row is None:
        return None
    if isinstance(event, Transaction.Amended):
        return replace(
            row,
            account_id=event.account_id,
            month=_month(event.date),
            day=event.date,
            category=_category(event.category_id),
            currency=event.currency,
            amount=event.amount,
        )
    if isinstance(event, Transaction.Categorized):
        return replace(row, category=_category(event.category_id))
    return replace(row, counted=isinstance(event, Transaction.Restored))


def _category(category_id: UUID | None) -> str:
    """The category's id as text; '' for none (a key column cannot be null)."""
    return "" if category_id is None else str(category_id)


def _month(day: date) -> date:
    return day.replace(day=1)
