"""Whose notifications ids name, asked of the notifications read model: a user marks or
dismisses their own only, and another's id is not found (404), like any id of someone else's."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

from domain.base import NotFoundError

Pool = AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]


async def check_own(pool: Pool, user_id: UUID, notification_ids: list[UUID]) -> None:
    """No wait for the read model: a client has an id from it, so it is there already (a
    rebuild swaps in tables that hold the same ids)."""
    wanted = set(notification_ids)
    async with pool.connection() as conn:
        try:
            row = await (
                await conn.execute(
                    "SELECT count(*) AS n FROM notifications WHERE user_id = %s AND id = ANY(%s)",
                    (user_id, list(wanted)),
                )
            ).fetchone()
        except psycopg.errors.UndefinedTable:  # no notification was ever projected
            row = None
    if row is None or row["n"] != len(wanted):
        raise NotFoundError("no such notification", "notification_ids")
