"""Keeps one row per transaction, as it stands now."""

from __future__ import annotations

import decimal
import json
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from domain.ledger.merchants import series_name
from domain.ledger.transaction import Transaction
from projections.runtime import Cursor, Projection, columns, copy_rows, handles
from projections.transactions.view import SUM_DAYS, TABLES

# The events that change what a transaction's row holds, handled together (``change``).
CHANGES = (Transaction.Amended, Transaction.Categorized, Transaction.Deleted, Transaction.Restored)

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
# What an amendment, categorization, deletion or restoration changes in a row: a batch's
# changed rows are read once, changed in memory in order, and written back by one UPDATE.
CHANGED_COLUMNS = {
    "account_id": "uuid", "date": "date", "time": "time", "amount": "numeric",
    "currency": "text", "description": "text", "merchant": "text", "series_name": "text",
    "category_id": "uuid", "categorized_by": "text", "confidence": "numeric",
    "user_corrected": "bool", "tags": "text", "notes": "text", "deleted": "bool",
    "deleted_at": "timestamptz", "version": "int4", "updated_at": "timestamptz",
}  # fmt: skip
# The tags go as JSON text (an array of arrays would be one flat array to unnest).
TAGS = (
    "ARRAY(SELECT e FROM jsonb_array_elements_text(u.tags::jsonb) WITH ORDINALITY a(e, n) "
    "ORDER BY n)"
)
UPDATE_CHANGED = (
    "UPDATE transactions t SET "  # noqa: S608 - constants only
    + ", ".join(f"{c} = {TAGS if c == 'tags' else f'u.{c}'}" for c in CHANGED_COLUMNS)
    + " FROM unnest(%b::uuid[], "
    + ", ".join(f"%b::{kind}[]" for kind in CHANGED_COLUMNS.values())
    + f") AS u (id, {', '.join(CHANGED_COLUMNS)}) WHERE t.id = u.id"
)
READ_CHANGED = (
    f"SELECT id, workspace_id, transfer_id, {', '.join(CHANGED_COLUMNS)} "  # noqa: S608
    "FROM transactions WHERE id = ANY(%b::uuid[])"
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
    into the table together at the end of the batch. Amendments, categorizations, deletions
    and restorations wait for that copy too: each changes its own transaction's row only, so
    the rows of all of them are read at once, changed in memory in order and written back by
    one statement (an UPDATE each, before). Any other event's handler writes the rows
    itself: what the batch holds goes first."""

    name = "transactions"
    tables = TABLES

    def __init__(self) -> None:
        self.recorded: list[tuple[Any, ...]] = []
        self.changes: list[Any] = []
        self.named: dict[tuple[str | None, str], str] = {}
        # What the batch adds to each category's day: count, total spent, sum of squares.
        self.days: dict[tuple[UUID | None, UUID, str, Any], list[Any]] = {}

    async def before_batch(self) -> None:
        self.recorded = []
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
        if not isinstance(event, (Transaction.Recorded, *CHANGES)):
            await self.flush(cur)
        await super().process(cur, event, position)

    async def flush(self, cur: Cursor) -> None:
        rows, self.recorded = self.recorded, []
        changes, self.changes = self.changes, []
        if rows:
            await copy_rows(cur, "transactions", RECORDED_COLUMNS, RECORDED_TYPES, rows)
        if changes:
            await self.change(cur, changes)
        days, self.days = self.days, {}
        if days:
            await cur.execute(ADD_DAYS, columns([(*k, *sums) for k, sums in days.items()], 7))
        emptied = [key for key, sums in days.items() if sums[0] <= 0]
        if emptied:
            await cur.execute(DROP_EMPTY_DAYS, columns(emptied, 4))

    async def change(self, cur: Cursor, changes: list[Any]) -> None:
        """Reads the changed transactions' rows, changes each in order, takes its old
        contribution to its category's day away and adds its new one, and writes them."""
        await cur.execute(READ_CHANGED, (list({event.originator_id for event in changes}),))
        rows = {row["id"]: row for row in await cur.fetchall()}
        for event in changes:
            row = rows.get(event.originator_id)
            if row is None:  # not in the model
                continue
            self.count_row(row, -1)
            if isinstance(event, Transaction.Amended):
                _categorize(row, event.category_id, event.categorized_by, None)
                row.update(
                    account_id=event.account_id,
                    date=event.date,
                    time=event.time,
                    amount=event.amount,
                    currency=event.currency,
                    description=event.description,
                    merchant=event.merchant,
                    series_name=self.series_name(event.merchant, event.description),
                    tags=list(event.tags),
                    notes=event.notes,
                )
            elif isinstance(event, Transaction.Categorized):
                _categorize(row, event.category_id, event.categorized_by, event.confidence)
            else:
                row["deleted"] = isinstance(event, Transaction.Deleted)
                row["deleted_at"] = event.timestamp if row["deleted"] else None
            row.update(version=event.originator_version, updated_at=event.timestamp)
            self.count_row(row, 1)
        await cur.execute(
            UPDATE_CHANGED,
            columns(
                [
                    (
                        id,
                        *(
                            msgspec.json.encode(row[c]).decode() if c == "tags" else row[c]
                            for c in CHANGED_COLUMNS
                        ),
                    )
                    for id, row in rows.items()
                ],
                1 + len(CHANGED_COLUMNS),
            ),
        )

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

    def count_row(self, row: dict[str, Any], sign: int) -> None:
        self.count(
            row["workspace_id"], row["category_id"], row["currency"], row["date"],
            row["amount"], row["transfer_id"], row["deleted"], sign,
        )  # fmt: skip

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(
        self, cur: Cursor, event: Transaction.Recorded, position: int
    ) -> None:
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

    @handles(*CHANGES)
    async def on_transaction_changed(self, cur: Cursor, event: Any, position: int) -> None:
        """Kept for the batch's end: see ``change``."""
        self.changes.append(event)

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


def _categorize(
    row: dict[str, Any],
    category_id: UUID | None,
    categorized_by: str | None,
    confidence: Decimal | None,
) -> None:
    """A new category: a user's choice over an automatic one is a correction, and stays
    one; the confidence is the new categorization's when the category changes."""
    changed = row["category_id"] != category_id
    if changed and row["categorized_by"] in ("rule", "learned") and categorized_by == "user":
        row["user_corrected"] = True
    if changed:
        row["confidence"] = confidence
    row["category_id"] = category_id
    row["categorized_by"] = categorized_by
