"""Health of the three services every process depends on."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import redis.asyncio as redis
from nats.aio.client import Client
from psycopg_pool import AsyncConnectionPool

TIMEOUT_SECONDS = 2.0


async def check(
    pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]],
    nats_client: Client | None,
    cache: redis.Redis,
) -> dict[str, str]:
    return {
        "database": await _probe(_database(pool)),
        "nats": await _probe(_nats(nats_client)),
        "redis": await _probe(cache.ping()),
    }


async def _database(pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]) -> None:
    async with pool.connection(timeout=TIMEOUT_SECONDS) as conn:
        await conn.execute("SELECT 1")


async def _nats(client: Client | None) -> None:
    if client is None or not client.is_connected:
        raise ConnectionError("not connected")
    await client.flush(timeout=int(TIMEOUT_SECONDS))


async def _probe(probe: Any) -> str:
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            await probe
    except Exception as error:  # noqa: BLE001 - a probe reports whatever failed
        return f"unavailable: {type(error).__name__}"
    return "ok"
