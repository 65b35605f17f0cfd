"""Which transactions carry a category, asked of the transactions read model once it has
caught up with the log: a merge moves each of them by its own event."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

from domain.base import ConflictError

CATCH_UP_SECONDS = 10.0


async def transactions_in_category(
    pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]],
    workspace_id: UUID,
    category_id: UUID,
) -> list[UUID]:
    async with pool.connection() as conn:
        last = await _one(
            conn, "SELECT coalesce(max(notification_id), 0) AS n FROM centsource_events"
        )
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while (
            await _one(
                conn, "SELECT position AS n FROM projection_positions WHERE name = 'transactions'"
            )
            < last
        ):
            if time.monotonic() > deadline:
                raise ConflictError("the transactions read model is behind; retry shortly")
            await asyncio.sleep(0.05)
        rows = await (
            await conn.execute(
                "SELECT id FROM transactions WHERE workspace_id = %s AND category_id = %s",
                (workspace_id, category_id),
            )
        ).fetchall()
    return [row["id"] for row in rows]


async def _one(conn: psycopg.AsyncConnection[dict[str, Any]], query: str) -> int:
    row = await (await conn.execute(query)).fetchone()
    return 0 if row is None else int(row["n"])
