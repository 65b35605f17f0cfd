"""Health of the three services every process depends on."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import redis.asyncio as redis
from nats.aio.client import Client
from psycopg_pool import AsyncConnectionPool

from infra import broker

TIMEOUT_SECONDS = 2.0


def connect_nats(url: str) -> asyncio.Task[Client]:
    """The APIs hold a NATS connection only to report on it: it is made in the background,
    so an API serves while NATS is down, and /health says so until it is up."""
    return asyncio.create_task(broker.connect(url))


async def close_nats(connecting: asyncio.Task[Client]) -> None:
    if connecting.done() and not connecting.cancelled() and connecting.exception() is None:
        await connecting.result().close()
    else:
        connecting.cancel()


async def check(
    pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]],
    nats_connection: asyncio.Task[Client],
    cache: redis.Redis,
) -> dict[str, str]:
    return {
        "database": await _probe(_database(pool)),
        "nats": await _probe(_nats(nats_connection)),
        "redis": await _probe(cache.ping()),
    }


async def _database(pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]) -> None:
    async with pool.connection(timeout=TIMEOUT_SECONDS) as conn:
        await conn.execute("SELECT 1")


async def _nats(connecting: asyncio.Task[Client]) -> None:
    if not connecting.done():
        raise ConnectionError("still connecting")
    client = connecting.result()
    if not client.is_connected:
        raise ConnectionError("not connected")
    await client.flush(timeout=int(TIMEOUT_SECONDS))


async def _probe(probe: Any) -> str:
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            await probe
    except Exception as error:  # noqa: BLE001 - a probe reports whatever failed
        return f"unavailable: {type(error).__name__}"
    return "ok"
