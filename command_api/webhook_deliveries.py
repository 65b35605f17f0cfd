"""Whether a delivery is one of a subscription's, asked of the dispatcher's delivery log before a
redelivery is requested of it (the log is not in the event store: the command cannot load it)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

Pool = AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]


async def is_delivery_of(
    pool: Pool, workspace_id: UUID, subscription_id: UUID, delivery_id: UUID
) -> bool:
    async with pool.connection() as conn:
        try:
            row = await (
                await conn.execute(
                    "SELECT 1 FROM webhook_deliveries "
                    "WHERE id = %s AND subscription_id = %s AND workspace_id = %s",
                    (delivery_id, subscription_id, workspace_id),
                )
            ).fetchone()
        except psycopg.errors.UndefinedTable:  # no dispatcher has run: nothing was delivered
            return False
    return row is not None
