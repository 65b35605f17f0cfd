"""What a vault command asks of the vault read model: the workspace's live records (what a
release may show) and how many beneficiaries it has (the cap). The command checks the rest."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

Pool = AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]


async def record_ids(pool: Pool, workspace_id: UUID) -> list[UUID]:
    async with pool.connection() as conn:
        rows = await (
            await conn.execute(
                "SELECT id FROM vault_records WHERE workspace_id = %s AND NOT deleted "
                "ORDER BY created_at, id",
                (workspace_id,),
            )
        ).fetchall()
    return [row["id"] for row in rows]


async def beneficiary_count(pool: Pool, workspace_id: UUID) -> int:
    async with pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT count(*) AS n FROM vault_beneficiaries "
                "WHERE workspace_id = %s AND NOT removed",
                (workspace_id,),
            )
        ).fetchone()
    return int(row["n"]) if row else 0
