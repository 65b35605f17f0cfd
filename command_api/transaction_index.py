"""Which transactions a command should look at, asked of the transactions read model once it
has caught up with the log: a merge moves each of a category's by its own event, and a
reconciliation matches an account's against a statement. The command loads and checks each."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

from domain.base import ConflictError

CATCH_UP_SECONDS = 10.0
Pool = AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]


async def transactions_in_category(pool: Pool, workspace_id: UUID, category_id: UUID) -> list[UUID]:
    return await _ids(
        pool,
        "SELECT id FROM transactions WHERE workspace_id = %s AND category_id = %s",
        (workspace_id, category_id),
    )


async def unreconciled_transactions(
    pool: Pool, workspace_id: UUID, account_id: UUID, start: date, end: date
) -> list[UUID]:
    return await _ids(
        pool,
        "SELECT id FROM transactions WHERE workspace_id = %s AND account_id = %s "
        "AND date BETWEEN %s AND %s AND NOT reconciled AND NOT deleted",
        (workspace_id, account_id, start, end),
    )


async def _ids(pool: Pool, query: str, params: tuple[Any, ...]) -> list[UUID]:
    async with pool.connection() as conn:
        await caught_up(conn)
        rows = await (await conn.execute(query, params)).fetchall()
    return [row["id"] for row in rows]


async def caught_up(conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
    """Waits until the transactions read model holds every event logged so far."""
    last = await _one(conn, "SELECT coalesce(max(notification_id), 0) AS n FROM centsource_events")
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


async def _one(conn: psycopg.AsyncConnection[dict[str, Any]], query: str) -> int:
    row = await (await conn.execute(query)).fetchone()
    return 0 if row is None else int(row["n"])
