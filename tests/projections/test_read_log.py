"""The log is read in order, after one position and up to another, by walking its index even
where the server holds no statistics of it."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg

from infra import database
from infra.settings import Settings
from projections import runtime
from projections.decoding import domain_event
from tests.projections.log_writer import write_history


def _read(settings: Settings, after: int, until: int, limit: int) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        conn = await runtime.open_connection(settings)
        try:
            async with conn.cursor() as cur:
                return await runtime.read_log(cur, after, until, limit)
        finally:
            await conn.close()

    return asyncio.run(read())


def test_the_log_is_read_after_a_position_up_to_another(own_schema: Settings) -> None:
    settings = own_schema
    write_history(settings, transactions=20)
    head = asyncio.run(runtime.positions(settings))[0]
    assert head > 20

    assert [row["notification_id"] for row in _read(settings, 5, 12, 100)] == list(range(6, 13))
    assert [row["notification_id"] for row in _read(settings, 5, runtime.MAX_POSITION, 4)] == [
        6, 7, 8, 9
    ]  # fmt: skip
    assert _read(settings, head, runtime.MAX_POSITION, 100) == []
    first = _read(settings, 0, 1, 1)[0]
    assert isinstance(first["state"], bytes)
    assert first["state"].startswith(b"{")
    assert domain_event(first).originator_version == first["originator_version"]


def test_a_log_without_statistics_is_read_along_its_index(own_schema: Settings) -> None:
    settings = own_schema
    """Without them, a range bounded on both sides was planned as a scan of the rest of the
    log, sorted: every batch then read everything after it."""
    write_history(settings, transactions=3_000)
    with psycopg.connect(settings.database, **database.connection_kwargs(settings)) as conn:
        analysed = conn.execute(
            "SELECT count(*) AS n FROM pg_stats WHERE tablename = %s AND schemaname = %s",
            (runtime.EVENTS_TABLE, settings.database_schema),
        ).fetchone()
        assert analysed == {"n": 0}
        plan = "\n".join(
            row["QUERY PLAN"]
            for row in conn.execute(psycopg.sql.SQL("EXPLAIN ") + runtime.LOG_QUERY, (1_000, 500))
        )
    assert "Index Scan" in plan, plan
    assert "Sort" not in plan, plan
