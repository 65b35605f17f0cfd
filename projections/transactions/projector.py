"""Keeps one row per transaction, as it stands now."""

from __future__ import annotations

import decimal
import json
from typing import Any
from uuid import UUID

from domain.ledger.merchants import series_name
from domain.ledger.transaction import Transaction
from projections.runtime import Cursor, Projection, columns, copy_rows, handles
from projections.transactions.view import SUM_DAYS, TABLES

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
# An UPDATE of one transaction's row (as t; %(id)s) returns what the row counted for in
# transactions_category_days before (o, the row as it was) and after.
UPDATE_ONE = (
    "UPDATE transactions t SET {} FROM (SELECT * FROM transactions WHERE id = %(id)s) o "
    "WHERE t.id = o.id RETURNING t.workspace_id, o.category_id AS was_category, "
    "o.currency AS was_currency, o.date AS was_date, o.amount AS was_amount, "
    "o.transfer_id AS was_transfer, o.deleted AS was_deleted, "
    "t.category_id, t.currency, t.date, t.amount, t.transfer_id, t.deleted"
)
# A new category (a user's choice over an automatic one is a correction, and stays one).
CATEGORIZE = (
    "user_corrected = t.user_corrected OR coalesce(t.category_id IS DISTINCT FROM "
    "%(category_id)s AND t.categorized_by IN ('rule', 'learned') AND %(categorized_by)s = "
    "'user', false), category_id = %(category_id)s, categorized_by = %(categorized_by)s, "
    "confidence = CASE WHEN t.category_id IS DISTINCT FROM %(category_id)s "
    "THEN %(confidence)s ELSE t.confidence END"
)
# Sums and squares of amounts as exact as the database's numeric (no rounding at 28 digits).
EXACT = decimal.Context(prec=decimal.MAX_PREC)
# Sums without trailing zeros (trim_scale), as SUM_DAYS leaves them: a sum that lost an
# amount of two decimals keeps its scale (3.00), the rows' own sum has none (3).
ADD_DAYS = (
    "INSERT INTO transactions_category_days AS d (workspace_id, category_id, currency, date, "
    "count, total, squares) SELECT w, c, cur, day, n, trim_scale(t), trim_scale(q) "
    "FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::date[], %s::int4[], %s::numeric[], "
    "%s::numeric[]) AS k (w, c, cur, day, n, t, q) "
    "ON CONFLICT (workspace_id, category_id, currency, date) DO UPDATE SET "
    "count = d.count + excluded.count, total = trim_scale(d.total + excluded.total), "
    "squares = trim_scale(d.squares + excluded.squares)"
)
# A day whose expenses all went has no row, as a rebuild leaves it.
DROP_EMPTY_DAYS = (
    "DELETE FROM transactions_category_days d USING unnest(%s::uuid[], %s::uuid[], "
    "%s::text[], %s::date[]) AS k (workspace_id, category_id, currency, date) "
    "WHERE d.count = 0 AND (d.workspace_id, d.category_id, d.currency, d.date) "
    "= (k.workspace_id, k.category_id, k.currency, k.date)"
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
        # What the batch adds to each category's day: count, total spent, sum of squares.
        self.days: dict[tuple[UUID | None, UUID, str, Any], list[Any]] = {}

    async def before_batch(self) -> None:
        self.recorded = []
        self.pending = set()
        self.changes = []
        self.named = {}
        self.days = {}

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
        days, self.days = self.days, {}
        if days:
            await cur.execute(ADD_DAYS, columns([(*k, *sums) for k, sums in days.items()], 7))
        emptied = [key for key, sums in days.items() if sums[0] <= 0]
        if emptied:
            await cur.execute(DROP_EMPTY_DAYS, columns(emptied, 4))

    async def replayed(self, cur: Cursor) -> None:
        await cur.execute(SUM_DAYS)

    def count(
        self,
        workspace_id: UUID | None,
        category_id: UUID | None,
        currency: str,
        day: Any,
        amount: Any,
        transfer_id: UUID | None,
        deleted: bool,
        sign: int,
    ) -> None:
        """Adds (sign 1) or takes away (-1) a transaction from its category's day, if it is
        an expense counted there (view.COUNTED). A rebuild sums the days once at the end."""
        if self.replaying:
            return
        if category_id is None or amount >= 0 or transfer_id is not None or deleted:
            return
        sums = self.days.setdefault((workspace_id, category_id, currency, day), [0, 0, 0])
        square = EXACT.multiply(amount, amount)
        sums[0] += sign
        sums[1] = EXACT.subtract(sums[1], amount) if sign > 0 else EXACT.add(sums[1], amount)
        sums[2] = EXACT.add(sums[2], square) if sign > 0 else EXACT.subtract(sums[2], square)

    async def update(self, cur: Cursor, sets: str, params: dict[str, Any]) -> None:
        """Updates one transaction's row, and its category's days by what changed."""
        await cur.execute(UPDATE_ONE.format(sets), params)
        row = await cur.fetchone()
        if row is None:
            return
        self.count(
            row["workspace_id"], row["was_category"], row["was_currency"], row["was_date"],
            row["was_amount"], row["was_transfer"], row["was_deleted"], -1,
        )  # fmt: skip
        self.count(
            row["workspace_id"], row["category_id"], row["currency"], row["date"],
            row["amount"], row["transfer_id"], row["deleted"], 1,
        )  # fmt: skip

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(
        self, cur: Cursor, event: Transaction.Recorded, position: int
    ) -> None:
        self.pending.add(event.originator_id)
        self.count(
            event.workspace_id, event.category_id, event.currency, event.date, event.amount,
            event.transfer_id, False, 1,
        )  # fmt: skip
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
        await self.update(
            cur,
            f"{CATEGORIZE}, account_id = %(account_id)s, date = %(date)s, time = %(time)s, "
            "amount = %(amount)s, currency = %(currency)s, description = %(description)s, "
            "merchant = %(merchant)s, series_name = %(series_name)s, tags = %(tags)s, "
            "notes = %(notes)s, version = %(version)s, updated_at = %(at)s",
            {
                "id": event.originator_id,
                "category_id": event.category_id,
                "categorized_by": event.categorized_by,
                "confidence": None,
                "account_id": event.account_id,
                "date": event.date,
                "time": event.time,
                "amount": event.amount,
                "currency": event.currency,
                "description": event.description,
                "merchant": event.merchant,
                "series_name": self.series_name(event.merchant, event.description),
                "tags": list(event.tags),
                "notes": event.notes,
                "version": event.originator_version,
                "at": event.timestamp,
            },
        )

    @handles(Transaction.Categorized)
    async def on_transaction_categorized(
        self, cur: Cursor, event: Transaction.Categorized, position: int
    ) -> None:
        await self.update(
            cur,
            f"{CATEGORIZE}, version = %(version)s, updated_at = %(at)s",
            {
                "id": event.originator_id,
                "category_id": event.category_id,
                "categorized_by": event.categorized_by,
                "confidence": event.confidence,
                "version": event.originator_version,
                "at": event.timestamp,
            },
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
        deleted = isinstance(event, Transaction.Deleted)
        await self.update(
            cur,
            "deleted = %(deleted)s, deleted_at = %(deleted_at)s, version = %(version)s, "
            "updated_at = %(at)s",
            {
                "id": event.originator_id,
                "deleted": deleted,
                "deleted_at": event.timestamp if deleted else None,
                "version": event.originator_version,
                "at": event.timestamp,
            },
        )
