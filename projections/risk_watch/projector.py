"""Follows new expenses and records ``TransactionFlagged`` (``RiskReview.Flagged``) on those
whose risk score (``domain/risk/scoring.py``) reaches the threshold.

This is a process manager, not a read model: it is never rebuilt. Only ``Transaction.Recorded``
counts (typed or imported), and only expenses that are not transfers; an edit later scores
nothing. After a batch it waits until the transactions projection has reached the batch, reads
every new expense's history there in one statement, and reports each flag to the Risk
application, whose review id is derived from the transaction: a batch handled twice (a crash
before the position commits, a restart) records nothing new.
"""

from __future__ import annotations

import asyncio
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
        for workspace_id, transaction_id, total, reasons in await _scored(self.conn, self.new):
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


# Each new expense with its history, read in one statement for the whole batch: the
# category's expenses in its currency (180 days), whether its merchant was named before, the
# times of other expenses at that merchant that day, and how many of its account's
# transactions were in each currency (90 days).
# Same merchant: the prefix finds the rows on the index (an index row has a size limit, a
# name has none); the whole name decides.
SAME_MERCHANT = (
    "left(lower(btrim(h.merchant)), 100) = left(lower(btrim(t.merchant)), 100) "
    "AND lower(btrim(h.merchant)) = lower(btrim(t.merchant))"
)
SCORED = f"""
WITH batch AS (SELECT * FROM transactions WHERE id = ANY(%(ids)s) AND NOT deleted),
-- Each of the batch's accounts: its currencies over every window of the batch, read once.
-- Most accounts hold one; then no expense in its own currency needs its window counted.
accounts AS (
  SELECT h.account_id, min(h.currency) AS currency, count(DISTINCT h.currency) AS currencies
  FROM transactions h
  JOIN (SELECT workspace_id, account_id, min(date) AS first, max(date) AS last
        FROM batch GROUP BY workspace_id, account_id) b
    ON h.workspace_id = b.workspace_id AND h.account_id = b.account_id
   AND h.date >= b.first - %(currency_days)s AND h.date < b.last
  WHERE NOT h.deleted GROUP BY h.account_id)
SELECT t.id, t.workspace_id, t.amount, t.currency, t.date, t.time, t.merchant,
  c.count AS category_count, c.total AS category_total, c.squares AS category_squares,
  EXISTS(SELECT 1 FROM transactions h
         WHERE h.workspace_id = t.workspace_id AND {SAME_MERCHANT}
           AND NOT h.deleted AND h.id <> t.id AND h.created_at < t.created_at) AS merchant_seen,
  CASE WHEN t.time IS NULL THEN '{{}}'::time[]  -- an expense without a time has no neighbours
  ELSE ARRAY(SELECT h.time FROM transactions h  -- found by date: a day holds few
        WHERE h.workspace_id = t.workspace_id AND h.date = t.date
          AND lower(btrim(h.merchant)) = lower(btrim(t.merchant))
          AND NOT h.deleted AND h.transfer_id IS NULL AND h.amount < 0 AND h.id <> t.id
          AND h.time IS NOT NULL) END AS merchant_times,
  -- Counted only when another currency is there: else its own is the usual one.
  CASE WHEN (a.currencies > 1 OR a.currency <> t.currency) AND EXISTS(SELECT 1 FROM transactions h
     WHERE h.workspace_id = t.workspace_id AND h.account_id = t.account_id AND NOT h.deleted
       AND h.date >= t.date - %(currency_days)s AND h.date < t.date
       AND h.currency <> t.currency)
  THEN (SELECT jsonb_object_agg(c.currency, c.n) FROM (
     SELECT h.currency, count(*) AS n FROM transactions h
     WHERE h.workspace_id = t.workspace_id AND h.account_id = t.account_id AND NOT h.deleted
       AND h.date >= t.date - %(currency_days)s AND h.date < t.date
     GROUP BY h.currency) c)
  ELSE jsonb_build_object(t.currency, 1) END AS account_currencies
FROM batch t LEFT JOIN accounts a ON a.account_id = t.account_id
-- The category's expenses before that day summed exactly (numeric): their count, amounts and
-- squares, from the transactions model's sums by day (a row a day, not one per expense).
CROSS JOIN LATERAL (
  SELECT coalesce(sum(d.count), 0) AS count, coalesce(sum(d.total), 0) AS total,
    coalesce(sum(d.squares), 0) AS squares
  FROM transactions_category_days d
  WHERE d.workspace_id = t.workspace_id AND d.category_id = t.category_id
    AND d.currency = t.currency
    AND d.date >= t.date - %(category_days)s AND d.date < t.date) c
"""  # noqa: S608 - constants only


async def _scored(
    conn: Any, transaction_ids: list[UUID]
) -> list[tuple[UUID, UUID, int, tuple[scoring.Reason, ...]]]:
    """Each expense still in the model, in order: its workspace, id, score and reasons."""
    rows = await (
        await conn.execute(
            SCORED,
            {
                "ids": transaction_ids,
                "category_days": scoring.CATEGORY_DAYS,
                "currency_days": scoring.CURRENCY_DAYS,
            },
        )
    ).fetchall()
    found = {row["id"]: row for row in rows}
    scored = []
    for transaction_id in transaction_ids:
        row = found.get(transaction_id)
        if row is None:
            continue
        named = scoring.merchant_key(row["merchant"]) is not None
        expense = scoring.Expense(
            row["amount"], row["currency"], row["date"], row["time"], row["merchant"]
        )
        history = scoring.History(
            category=scoring.Spread(
                row["category_count"], row["category_total"], row["category_squares"]
            ),
            merchant_seen=row["merchant_seen"] or not named,
            merchant_times=tuple(row["merchant_times"]) if named and row["time"] else (),
            account_currencies=row["account_currencies"],
        )
        total, reasons = scoring.score(expense, history)
        scored.append((row["workspace_id"], transaction_id, total, reasons))
    return scored
