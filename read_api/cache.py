"""Answers kept in Redis: a cache only, so when Redis is away the answer comes from PostgreSQL."""

from __future__ import annotations

import redis.asyncio as redis
import structlog

SECONDS = 3600
log = structlog.get_logger("read_api")


async def cache_get(cache: redis.Redis, key: str) -> bytes | None:
    try:
        value = await cache.get(key)
        return value.encode() if isinstance(value, str) else value
    except redis.RedisError as error:
        log.warning("cache unavailable", error=str(error))
        return None


async def cache_put(cache: redis.Redis, key: str, value: bytes) -> None:
    try:
        await cache.set(key, value, ex=SECONDS)
    except redis.RedisError as error:
        log.warning("cache unavailable", error=str(error))
