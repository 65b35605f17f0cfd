"""Keeps one row per transaction, as it stands now."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from domain.ledger.merchants import series_name
from domain.ledger.transaction import Transaction
from projections.runtime import Cursor, Projection, copy_rows, handles
from projections.transactions.view import TABLES

RECORDED_COLUMNS = (
    *("id", "workspace_id", "account_id", "date", "time", "amount", "currency", "description"),
    *("merchant", "category_id", "categorized_by", "confidence", "tags", "notes"),
    *("transfer_id", "counter_account_id", "external_id", "import_id", "version"),
    *("created_at", "updated_at", "series_name"),
)
RECORDED_TYPES = (
    *("uuid", "uuid", "uuid", "date", "time", "numeric", "text", "text", "text", "uuid"),
    *("text", "numeric", "text[]", "text", "uuid", "uuid", "text", "uuid", "int4"),
    *("timestamptz", "timestamptz", "text"),
)


class TransactionsProjection(Projection):
    """Recordings, the bulk of the log (an import's thousands), are kept in memory and copied
    into the table together at the end of the batch; a later event of one of them is handled
    after that copy, in order with that transaction's other events (every handler changes
    its own transaction's rows only, so another transaction's events may go first)."""

    name = "transactions"
    tables = TABLES

    def __init__(self) -> None:
        self.recorded: list[tuple[Any, ...]] = []
        self.pending: set[UUID] = set()  # the ids of the recordings not yet copied
        self.changes: list[tuple[Any, int]] = []  # later events of those, with positions
        self.named: dict[tuple[str | None, str], str] = {}

    async def before_batch(self) -> None:
        self.recorded = []
        self.pending = set()
        self.changes = []
        self.named = {}

    def series_name(self, merchant: str | None, description: str) -> str:
        """``merchant.series_name``, worked out once per spelling in a batch: an import
        repeats a few hundred of them across thousands of lines."""
        name = self.named.get((merchant, description))
        if name is None:
            name = self.named[(merchant, description)] = series_name(merchant, description)
        return name

    async def process(self, cur: Cursor, event: Any, position: int) -> None:
        if event.originator_id in self.pending and not isinstance(event, Transaction.Recorded):
            self.changes.append((event, position))  # once its recording's row is in
            return
        await super().process(cur, event, position)

    async def flush(self, cur: Cursor) -> None:
        rows, self.recorded = self.recorded, []
        changes, self.changes = self.changes, []
        self.pending = set()
        if rows:
            await copy_rows(cur, "transactions", RECORDED_COLUMNS, RECORDED_TYPES, rows)
        for event, position in changes:
            await super().process(cur, event, position)

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(
        self, cur: Cursor, event: Transaction.Recorded, position: int
    ) -> None:
        self.pending.add(event.originator_id)
        self.recorded.append(
            (
                event.originator_id,
                event.workspace_id,
                event.account_id,
                event.date,
                event.time,
                event.amount,
                event.currency,
                event.description,
                event.merchant,
                event.category_id,
                event.categorized_by,
                event.confidence,
                list(event.tags),
                event.notes,
                event.transfer_id,
                event.counter_account_id,
                event.external_id,
                event.import_id,
                event.originator_version,
                event.timestamp,
                event.timestamp,
                self.series_name(event.merchant, event.description),
            )
        )

    @handles(Transaction.Amended)
    async def on_transaction_amended(
        self, cur: Cursor, event: Transaction.Amended, position: int
    ) -> None:
        await self._categorize(cur, event, event.category_id, event.categorized_by, None)
        await cur.execute(
            "UPDATE transactions SET account_id = %s, date = %s, time = %s, amount = %s, "
            "currency = %s, description = %s, merchant = %s, series_name = %s, tags = %s, "
            "notes = %s, version = %s, updated_at = %s WHERE id = %s",
            (
                event.account_id,
                event.date,
                event.time,
                event.amount,
                event.currency,
                event.description,
                event.merchant,
                self.series_name(event.merchant, event.description),
                list(event.tags),
                event.notes,
                event.originator_version,
                event.timestamp,
                event.originator_id,
            ),
        )

    @handles(Transaction.Categorized)
    async def on_transaction_categorized(
        self, cur: Cursor, event: Transaction.Categorized, position: int
    ) -> None:
        await self._categorize(
            cur, event, event.category_id, event.categorized_by, event.confidence
        )

    @handles(Transaction.Split)
    async def on_transaction_split(
        self, cur: Cursor, event: Transaction.Split, position: int
    ) -> None:
        parts = [
            {
                "category_id": None if p["category_id"] is None else str(p["category_id"]),
                "amount": f"{p['amount']:f}",  # a part of an imported 0.00000003 is no 1E-8
                "notes": p["notes"],
            }
            for p in event.parts
        ]
        await cur.execute(
            "UPDATE transactions SET splits = %s, version = %s, updated_at = %s WHERE id = %s",
            (json.dumps(parts), event.originator_version, event.timestamp, event.originator_id),
        )

    @handles(Transaction.Attached)
    async def on_file_attached(
        self, cur: Cursor, event: Transaction.Attached, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO transaction_attachments (id, transaction_id, workspace_id, file_name, "
            "media_type, size, sha256, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                event.attachment_id,
                event.originator_id,
                event.workspace_id,
                event.file_name,
                event.media_type,
                event.size,
                event.sha256,
                event.timestamp,
            ),
        )
        await self._touch(cur, event)

    @handles(Transaction.Detached)
    async def on_file_detached(
        self, cur: Cursor, event: Transaction.Detached, position: int
    ) -> None:
        await cur.execute(
            "DELETE FROM transaction_attachments WHERE id = %s", (event.attachment_id,)
        )
        await self._touch(cur, event)

    @handles(Transaction.Reconciled)
    async def on_transaction_reconciled(
        self, cur: Cursor, event: Transaction.Reconciled, position: int
    ) -> None:
        await cur.execute(
            "UPDATE transactions SET reconciled = true WHERE id = %s", (event.originator_id,)
        )
        await self._touch(cur, event)

    async def _touch(self, cur: Cursor, event: Any) -> None:
        await cur.execute(
            "UPDATE transactions SET version = %s, updated_at = %s WHERE id = %s",
            (event.originator_version, event.timestamp, event.originator_id),
        )

    @handles(Transaction.Deleted, Transaction.Restored)
    async def on_transaction_deleted_or_restored(
        self, cur: Cursor, event: Any, position: int
    ) -> None:
        await cur.execute(
            "UPDATE transactions SET deleted = %s, deleted_at = %s, version = %s, "
            "updated_at = %s WHERE id = %s",
            (
                isinstance(event, Transaction.Deleted),
                event.timestamp if isinstance(event, Transaction.Deleted) else None,
                event.originator_version,
                event.timestamp,
                event.originator_id,
            ),
        )

    async def _categorize(
        self,
        cur: Cursor,
        event: Any,
        category_id: Any,
        categorized_by: str | None,
        confidence: Any,
    ) -> None:
        """A user's choice over an automatic one is a correction (and stays one)."""
        await cur.execute(
            "UPDATE transactions SET user_corrected = user_corrected OR coalesce("
            "category_id IS DISTINCT FROM %s AND categorized_by IN ('rule', 'learned') "
            "AND %s = 'user', false), category_id = %s, categorized_by = %s, "
            "confidence = CASE WHEN category_id IS DISTINCT FROM %s THEN %s ELSE confidence END, "
            "version = %s, updated_at = %s WHERE id = %s",
            (
                category_id,
                categorized_by,
                category_id,
                categorized_by,
                category_id,
                confidence,
                event.originator_version,
                event.timestamp,
                event.originator_id,
            ),
        )
