"""Adds each transaction into its month, category and account, and takes it back on change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.ledger.account import Account
from domain.ledger.transaction import Transaction
from projections.dashboard.view import TABLES
from projections.runtime import Cursor, Projection, handles

ZERO = Decimal(0)


class DashboardProjection(Projection):
    name = "dashboard"
    tables = TABLES

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
        await self._touch(cur, event.workspace_id, position)

    @handles(Account.Updated)
    async def on_account_updated(self, cur: Cursor, event: Account.Updated, position: int) -> None:
        await cur.execute(
            "UPDATE dashboard_accounts SET name = %s, type = %s WHERE id = %s",
            (event.name, event.type, event.originator_id),
        )
        await self._touch(cur, event.workspace_id, position)

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(
        self, cur: Cursor, event: Transaction.Recorded, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO dashboard_transactions (id, workspace_id, account_id, month, day, "
            "category, currency, amount, counted, transfer) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, true, %s)",
            (
                event.originator_id,
                event.workspace_id,
                event.account_id,
                _month(event.date),
                event.date,
                _category(event.category_id),
                event.currency,
                event.amount,
                event.transfer_id is not None,
            ),
        )
        await self._count(cur, event.originator_id, +1)
        await self._touch(cur, event.workspace_id, position)

    @handles(Transaction.Amended)
    async def on_transaction_amended(
        self, cur: Cursor, event: Transaction.Amended, position: int
    ) -> None:
        await self._count(cur, event.originator_id, -1)
        await cur.execute(
            "UPDATE dashboard_transactions SET account_id = %s, month = %s, day = %s, "
            "category = %s, currency = %s, amount = %s WHERE id = %s",
            (
                event.account_id,
                _month(event.date),
                event.date,
                _category(event.category_id),
                event.currency,
                event.amount,
                event.originator_id,
            ),
        )
        await self._count(cur, event.originator_id, +1)
        await self._touch(cur, event.workspace_id, position)

    @handles(Transaction.Categorized)
    async def on_transaction_categorized(
        self, cur: Cursor, event: Transaction.Categorized, position: int
    ) -> None:
        await self._count(cur, event.originator_id, -1)
        await cur.execute(
            "UPDATE dashboard_transactions SET category = %s WHERE id = %s",
            (_category(event.category_id), event.originator_id),
        )
        await self._count(cur, event.originator_id, +1)
        await self._touch(cur, event.workspace_id, position)

    @handles(Transaction.Deleted)
    async def on_transaction_deleted(
        self, cur: Cursor, event: Transaction.Deleted, position: int
    ) -> None:
        await self._count(cur, event.originator_id, -1)
        await cur.execute(
            "UPDATE dashboard_transactions SET counted = false WHERE id = %s",
            (event.originator_id,),
        )
        await self._touch(cur, event.workspace_id, position)

    @handles(Transaction.Restored)
    async def on_transaction_restored(
        self, cur: Cursor, event: Transaction.Restored, position: int
    ) -> None:
        await cur.execute(
            "UPDATE dashboard_transactions SET counted = true WHERE id = %s",
            (event.originator_id,),
        )
        await self._count(cur, event.originator_id, +1)
        await self._touch(cur, event.workspace_id, position)

    async def _count(self, cur: Cursor, transaction_id: UUID, sign: int) -> None:
        """Adds (+1) or takes back (-1) what a counted transaction contributes."""
        await cur.execute(
            "SELECT workspace_id, account_id, month, category, currency, amount, transfer "
            "FROM dashboard_transactions WHERE id = %s AND counted",
            (transaction_id,),
        )
        row: dict[str, Any] | None = await cur.fetchone()
        if row is None:
            return
        amount: Decimal = row["amount"] * sign
        await cur.execute(
            "INSERT INTO dashboard_account_months AS d (account_id, month, change) "
            "VALUES (%s, %s, %s) ON CONFLICT (account_id, month) DO UPDATE SET "
            "change = d.change + excluded.change",
            (row["account_id"], row["month"], amount),
        )
        if row["transfer"]:  # money moved between own accounts: neither income nor expense
            return
        income = amount if row["amount"] > 0 else ZERO
        expenses = -amount if row["amount"] < 0 else ZERO
        await cur.execute(
            "INSERT INTO dashboard_months AS d (workspace_id, month, currency, income, expenses, "
            "transaction_count) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (workspace_id, month, currency) DO UPDATE SET "
            "income = d.income + excluded.income, expenses = d.expenses + excluded.expenses, "
            "transaction_count = d.transaction_count + excluded.transaction_count",
            (row["workspace_id"], row["month"], row["currency"], income, expenses, sign),
        )
        await cur.execute(
            "INSERT INTO dashboard_categories AS d (workspace_id, month, currency, category, "
            "income, expenses) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (workspace_id, month, currency, category) DO UPDATE SET "
            "income = d.income + excluded.income, expenses = d.expenses + excluded.expenses",
            (row["workspace_id"], row["month"], row["currency"], row["category"], income, expenses),
        )

    async def _touch(self, cur: Cursor, workspace_id: UUID | None, position: int) -> None:
        await cur.execute(
            "INSERT INTO dashboard_workspaces (workspace_id, position) VALUES (%s, %s) "
            "ON CONFLICT (workspace_id) DO UPDATE SET position = excluded.position",
            (workspace_id, position),
        )


def _category(category_id: UUID | None) -> str:
    """The category's id as text; '' for none (a key column cannot be null)."""
    return "" if category_id is None else str(category_id)


def _month(day: date) -> date:
    return day.replace(day=1)
