"""Keeps one row per transaction, as it stands now."""

from __future__ import annotations

from typing import Any

from domain.ledger.transaction import Transaction
from projections.runtime import Cursor, Projection, handles
from projections.transactions.view import TABLES


class TransactionsProjection(Projection):
    name = "transactions"
    tables = TABLES

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(
        self, cur: Cursor, event: Transaction.Recorded, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO transactions (id, workspace_id, account_id, date, amount, currency, "
            "description, merchant, category, tags, notes, version, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.workspace_id,
                event.account_id,
                event.date,
                event.amount,
                event.currency,
                event.description,
                event.merchant,
                event.category,
                list(event.tags),
                event.notes,
                event.originator_version,
                event.timestamp,
                event.timestamp,
            ),
        )

    @handles(Transaction.Amended)
    async def on_transaction_amended(
        self, cur: Cursor, event: Transaction.Amended, position: int
    ) -> None:
        await cur.execute(
            "UPDATE transactions SET account_id = %s, date = %s, amount = %s, currency = %s, "
            "description = %s, merchant = %s, category = %s, tags = %s, notes = %s, "
            "version = %s, updated_at = %s WHERE id = %s",
            (
                event.account_id,
                event.date,
                event.amount,
                event.currency,
                event.description,
                event.merchant,
                event.category,
                list(event.tags),
                event.notes,
                event.originator_version,
                event.timestamp,
                event.originator_id,
            ),
        )

    @handles(Transaction.Deleted, Transaction.Restored)
    async def on_transaction_deleted_or_restored(
        self, cur: Cursor, event: Any, position: int
    ) -> None:
        await cur.execute(
            "UPDATE transactions SET deleted = %s, version = %s, updated_at = %s WHERE id = %s",
            (
                isinstance(event, Transaction.Deleted),
                event.originator_version,
                event.timestamp,
                event.originator_id,
            ),
        )
