"""Follows new expenses and records ``TransactionFlagged`` (``RiskReview.Flagged``) on those
whose risk score (``domain/risk/scoring.py``) reaches the threshold.

This is a process manager, not a read model: it is never rebuilt. Only ``Transaction.Recorded``
counts (typed or imported), and only expenses that are not transfers; an edit later scores
nothing. After a batch it waits until the transactions projection has reached the batch, reads
each new expense's history there, and reports the flag to the Risk application, whose review id
is derived from the transaction: a batch handled twice (a crash before the position commits, a
restart) records nothing new.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

from domain.ledger.transaction import Transaction
from domain.risk import scoring
from domain.risk.application import Risk
from infra.database import event_store_env
from infra.settings import Settings
from projections.runtime import (
    Cursor,
    Projection,
    handles,
    open_connection,
    wait_for_projections,
)

WAITED_FOR = ("transactions",)


class RiskWatch(Projection):
    name = "risk_watch"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.risk: Risk | None = None
        self.new: list[UUID] = []  # the batch's new expenses, in order
        self.until = 0
        self.conn: Any = None

    async def before_batch(self) -> None:
        self.new.clear()
        if self.risk is None:  # made off the loop: making the event store waits for its lock
            self.risk = await asyncio.to_thread(Risk, event_store_env(self.settings))

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(self, cur: Cursor, event: Any, position: int) -> None:
        if event.amount < 0 and event.transfer_id is None:
            self.new.append(event.originator_id)
        self.until = position

    async def after_batch(self) -> None:
        if not self.new:
            return
        if self.conn is None or self.conn.closed:
            # Its own connection, in autocommit: each query sees what the others committed.
            self.conn = await open_connection(self.settings)
            await self.conn.set_autocommit(True)
        await wait_for_projections(self.conn, WAITED_FOR, self.until)
        assert self.risk is not None
        for transaction_id in self.new:
            found = await _scored(self.conn, transaction_id)
            if found is None:
                continue
            workspace_id, total, reasons = found
            if total < scoring.THRESHOLD:
                continue
            await asyncio.to_thread(
                self.risk.flag,
                workspace_id,
                transaction_id,
                total,
                tuple({"code": r.code, "weight": r.weight, "detail": r.detail} for r in reasons),
                f"risk_watch:{self.until}",
            )

    async def close(self) -> None:
        if self.risk is not None:
            self.risk.close()
            self.risk = None
        if self.conn is not None:
            await self.conn.close()
            self.conn = None


async def _scored(
    conn: Any, transaction_id: UUID
) -> tuple[UUID, int, tuple[scoring.Reason, ...]] | None:
    """The transaction's workspace, score and reasons; None when it is gone from the model."""
    row = await (
        await conn.execute(
            "SELECT * FROM transactions WHERE id = %s AND NOT deleted", (transaction_id,)
        )
    ).fetchone()
    if row is None:
        return None
    expense = scoring.Expense(
        row["amount"], row["currency"], row["date"], row["time"], row["merchant"]
    )
    history = scoring.History(
        category_amounts=await _category_amounts(conn, row),
        merchant_seen=await _merchant_seen(conn, row),
        merchant_times=await _merchant_times(conn, row),
        account_currencies=await _account_currencies(conn, row),
    )
    total, reasons = scoring.score(expense, history)
    return row["workspace_id"], total, reasons


async def _category_amounts(conn: Any, row: dict[str, Any]) -> tuple[Any, ...]:
    if row["category_id"] is None:
        return ()
    rows = await (
        await conn.execute(
            "SELECT abs(amount) AS amount FROM transactions WHERE workspace_id = %(w)s "
            "AND NOT deleted AND transfer_id IS NULL AND amount < 0 AND id <> %(id)s "
            "AND category_id = %(c)s AND currency = %(cur)s "
            "AND date >= %(since)s AND date < %(day)s",
            {
                "w": row["workspace_id"],
                "id": row["id"],
                "c": row["category_id"],
                "cur": row["currency"],
                "since": row["date"] - timedelta(days=scoring.CATEGORY_DAYS),
                "day": row["date"],
            },
        )
    ).fetchall()
    return tuple(r["amount"] for r in rows)


async def _merchant_seen(conn: Any, row: dict[str, Any]) -> bool:
    key = scoring.merchant_key(row["merchant"])
    if key is None:
        return True
    found = await (
        await conn.execute(
            "SELECT 1 FROM transactions WHERE workspace_id = %(w)s AND NOT deleted "
            "AND id <> %(id)s AND lower(btrim(merchant)) = %(m)s AND created_at < %(at)s LIMIT 1",
            {"w": row["workspace_id"], "id": row["id"], "m": key, "at": row["created_at"]},
        )
    ).fetchone()
    return found is not None


async def _merchant_times(conn: Any, row: dict[str, Any]) -> tuple[Any, ...]:
    key = scoring.merchant_key(row["merchant"])
    if key is None or row["time"] is None:
        return ()
    rows = await (
        await conn.execute(
            "SELECT time FROM transactions WHERE workspace_id = %(w)s "
            "AND NOT deleted AND transfer_id IS NULL AND amount < 0 AND id <> %(id)s "
            "AND lower(btrim(merchant)) = %(m)s AND date = %(day)s "
            "AND time IS NOT NULL",
            {"w": row["workspace_id"], "id": row["id"], "m": key, "day": row["date"]},
        )
    ).fetchall()
    return tuple(r["time"] for r in rows)


async def _account_currencies(conn: Any, row: dict[str, Any]) -> tuple[str, ...]:
    rows = await (
        await conn.execute(
            "SELECT currency FROM transactions WHERE account_id = %(a)s AND NOT deleted "
            "AND id <> %(id)s AND date >= %(since)s AND date < %(day)s",
            {
                "a": row["account_id"],
                "id": row["id"],
                "since": row["date"] - timedelta(days=scoring.CURRENCY_DAYS),
                "day": row["date"],
            },
        )
    ).fetchall()
    return tuple(r["currency"] for r in rows)
