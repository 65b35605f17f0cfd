"""Idempotency keys kept in PostgreSQL, so a retry is answered the same after a restart."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import msgspec
import psycopg
from psycopg_pool import AsyncConnectionPool

# A claim that has not completed within this many seconds is taken to have died with its
# process; a retry may then run the command again (creations use ids derived from the key,
# so running it again cannot create a second resource).
STALE_AFTER_SECONDS = 30
# Answers are kept this long. A retry after that runs the command again, which still
# creates nothing new: the resource's id is derived from the key.
KEEP_HOURS = 24

DDL = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope text PRIMARY KEY,
    fingerprint text NOT NULL,
    status integer,
    headers jsonb,
    body bytea,
    claimed_at timestamptz NOT NULL DEFAULT now()
)
"""


class Claim(Enum):
    RUN = "run"
    REPLAY = "replay"
    MISMATCH = "mismatch"
    IN_PROGRESS = "in_progress"


@dataclass(frozen=True)
class Stored:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class IdempotencyStore:
    def __init__(self, pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]) -> None:
        self.pool = pool

    async def create_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(DDL)

    async def claim(self, scope: str, fingerprint: str) -> tuple[Claim, Stored | None]:
        async with self.pool.connection() as conn:
            inserted = await conn.execute(
                "INSERT INTO idempotency_keys (scope, fingerprint) VALUES (%s, %s) "
                "ON CONFLICT (scope) DO NOTHING",
                (scope, fingerprint),
            )
            if inserted.rowcount == 1:
                return Claim.RUN, None
            cursor = await conn.execute(
                "SELECT fingerprint, status, headers, body, "
                "claimed_at < now() - make_interval(secs => %s) AS stale "
                "FROM idempotency_keys WHERE scope = %s",
                (STALE_AFTER_SECONDS, scope),
            )
            row = await cursor.fetchone()
            if row is None:  # released between our insert and select
                return await self.claim(scope, fingerprint)
            if row["fingerprint"] != fingerprint:
                return Claim.MISMATCH, None
            if row["status"] is not None:
                headers = [(str(k), str(v)) for k, v in row["headers"]]
                return Claim.REPLAY, Stored(row["status"], headers, bytes(row["body"]))
            if row["stale"]:
                retaken = await conn.execute(
                    "UPDATE idempotency_keys SET claimed_at = now() "
                    "WHERE scope = %s AND status IS NULL "
                    "AND claimed_at < now() - make_interval(secs => %s)",
                    (scope, STALE_AFTER_SECONDS),
                )
                if retaken.rowcount == 1:
                    return Claim.RUN, None
            return Claim.IN_PROGRESS, None

    async def complete(self, scope: str, stored: Stored) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE idempotency_keys SET status = %s, headers = %s, body = %s WHERE scope = %s",
                (stored.status, msgspec.json.encode(stored.headers).decode(), stored.body, scope),
            )

    async def forget_expired(self) -> int:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "DELETE FROM idempotency_keys "
                "WHERE claimed_at < now() - make_interval(hours => %s)",
                (KEEP_HOURS,),
            )
            return cursor.rowcount

    async def release(self, scope: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute("DELETE FROM idempotency_keys WHERE scope = %s", (scope,))
