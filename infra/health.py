"""Health of the three services every process depends on, and of the projections."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import redis.asyncio as redis
from nats.aio.client import Client
from psycopg_pool import AsyncConnectionPool

from infra import broker

TIMEOUT_SECONDS = 2.0
# A projection is FAILING once this many batches in a row have failed: one failed batch may be
# a passing conflict, three (over about 7 s of backing off) are not.
FAILING_AFTER = 3


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


async def failing_projections(
    pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Each projection that is FAILING: its name, position, the head of the log, the class of
    its last error, its failures in a row and since when. The runners record them in
    ``projection_positions``; none where they have not run yet, or the database is away (the
    database check says so)."""
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS), pool.connection() as conn:
            return await _failing(conn)
    except (psycopg.Error, TimeoutError):
        return []


async def _failing(conn: psycopg.AsyncConnection[dict[str, Any]]) -> list[dict[str, Any]]:
    exists = await (
        await conn.execute(
            "SELECT 1 FROM pg_attribute WHERE attname = 'last_error' AND NOT attisdropped "
            "AND attrelid = to_regclass('projection_positions')"
        )
    ).fetchone()
    if exists is None:
        return []
    rows = await (
        await conn.execute(
            "SELECT name, position, last_error AS error, failures, failing_since "
            "FROM projection_positions WHERE failures >= %s ORDER BY name",
            (FAILING_AFTER,),
        )
    ).fetchall()
    if not rows:
        return []
    head = await (
        await conn.execute(
            "SELECT coalesce(max(notification_id), 0) AS head FROM centsource_events"
        )
    ).fetchone()
    return [{**row, "head": head["head"] if head else 0} for row in rows]
