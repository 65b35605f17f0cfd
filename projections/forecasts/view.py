"""The forecasts' table, and each forecast's accuracy once its period is over (what was
spent, read from the transactions model as the command side counts spending)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID

import msgspec

from projections.forecasts.model import Accuracy, Forecast, ForecastList
from projections.pages import PageMeta

TABLES = (
    """CREATE TABLE IF NOT EXISTS forecasts (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        body jsonb NOT NULL,  -- the Made event's fields as the API shows them
        created_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS forecasts_by_workspace "
    "ON forecasts (workspace_id, created_at DESC, id)",
)


async def list_forecasts(
    conn: Any, workspace_id: UUID, today: date, page: int, page_size: int
) -> ForecastList:
    """Newest first; a forecast whose period ended before ``today`` shows its accuracy."""
    total_row = await (
        await conn.execute(
            "SELECT count(*) AS n FROM forecasts WHERE workspace_id = %s", (workspace_id,)
        )
    ).fetchone()
    rows = await (
        await conn.execute(
            "SELECT id, body, created_at FROM forecasts WHERE workspace_id = %s "
            "ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
            (workspace_id, page_size, (page - 1) * page_size),
        )
    ).fetchall()
    data = []
    for row in rows:
        body = row["body"]
        end = date.fromisoformat(body["end_date"])
        accuracy = await _accuracy(conn, workspace_id, body) if end < today else None
        data.append(
            msgspec.convert(
                {**body, "id": row["id"], "created_at": row["created_at"], "accuracy": accuracy},
                Forecast,
                from_attributes=True,
            )
        )
    return ForecastList(data=data, meta=PageMeta.of(page, page_size, total_row["n"]))


async def _accuracy(conn: Any, workspace_id: UUID, body: dict[str, Any]) -> Accuracy:
    kept = body["category_ids"]
    row = await (
        await conn.execute(
            "SELECT coalesce(-sum(amount), 0) AS spent FROM transactions "
            "WHERE workspace_id = %(w)s AND currency = %(c)s AND amount < 0 "
            "AND transfer_id IS NULL AND NOT deleted AND date BETWEEN %(s)s AND %(e)s "
            "AND (%(k)s::uuid[] IS NULL OR category_id = ANY(%(k)s::uuid[]))",
            {
                "w": workspace_id,
                "c": body["currency"],
                "s": body["start_date"],
                "e": body["end_date"],
                "k": kept,
            },
        )
    ).fetchone()
    actual = Decimal(row["spent"])
    median = Decimal(body["median"])
    error = (
        None
        if actual == 0
        else f"{((median - actual) * 100 / actual).quantize(Decimal('0.1'), ROUND_HALF_EVEN):f}"
    )
    return Accuracy(actual=f"{actual:f}", error_percent=error)
