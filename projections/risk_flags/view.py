"""The risk flags' table and the queries the read API serves from it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from projections.pages import PageMeta
from projections.risk_flags.model import (
    ReviewStatus,
    RiskFlag,
    RiskFlagPage,
    RiskReason,
    RiskTotals,
)

TABLES = (
    """CREATE TABLE IF NOT EXISTS risk_flags (
        transaction_id uuid PRIMARY KEY,
        review_id uuid NOT NULL UNIQUE,  -- the RiskReview aggregate's, derived from it
        workspace_id uuid NOT NULL,
        score integer NOT NULL,
        reasons jsonb NOT NULL,
        status text NOT NULL,
        note text,
        flagged_at timestamptz NOT NULL,
        reviewed_at timestamptz,
        version integer NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS risk_flags_by_workspace "
    "ON risk_flags (workspace_id, flagged_at DESC, transaction_id)",
)


async def flags(
    conn: Any, workspace_id: UUID, status: ReviewStatus | None, page: int, page_size: int
) -> RiskFlagPage:
    """The workspace's flags, newest first, of one status when asked, with every status's
    total. The transaction's fields are joined from the transactions model, as it stands."""
    counted = await (
        await conn.execute(
            "SELECT status, count(*) AS n FROM risk_flags WHERE workspace_id = %s GROUP BY status",
            (workspace_id,),
        )
    ).fetchall()
    totals = {s.value: 0 for s in ReviewStatus} | {row["status"]: row["n"] for row in counted}
    rows = await (
        await conn.execute(
            "SELECT f.*, t.amount, t.currency, t.date, t.description, t.merchant, "
            "t.deleted FROM risk_flags f LEFT JOIN transactions t ON t.id = f.transaction_id "
            "WHERE f.workspace_id = %(w)s AND (%(s)s::text IS NULL OR f.status = %(s)s) "
            "ORDER BY f.flagged_at DESC, f.transaction_id LIMIT %(n)s OFFSET %(o)s",
            {
                "w": workspace_id,
                "s": status and status.value,
                "n": page_size,
                "o": (page - 1) * page_size,
            },
        )
    ).fetchall()
    total = totals[status.value] if status is not None else sum(totals.values())
    return RiskFlagPage(
        data=[_flag(row) for row in rows],
        meta=PageMeta.of(page, page_size, total),
        totals=RiskTotals(**totals),
    )


def _flag(row: dict[str, Any]) -> RiskFlag:
    gone = row["amount"] is None or row["deleted"]
    return RiskFlag(
        transaction_id=row["transaction_id"],
        score=row["score"],
        reasons=msgspec.convert(row["reasons"], list[RiskReason]),
        status=ReviewStatus(row["status"]),
        note=row["note"],
        amount=None if gone else str(row["amount"]),
        currency=None if gone else row["currency"],
        date=None if gone else row["date"],
        description=None if gone else row["description"],
        merchant=None if gone else row["merchant"],
        flagged_at=row["flagged_at"],
        reviewed_at=row["reviewed_at"],
        version=row["version"],
    )
