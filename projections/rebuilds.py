"""Rebuilding read models: the whole log replayed into fresh tables, swapped in live."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import psycopg
import structlog
from psycopg import sql

from infra.settings import Settings
from infra.tasks import first_failure
from projections.decoding import domain_event
from projections.runtime import (
    BATCH_SIZE,
    MAX_POSITION,
    Cursor,
    Projection,
    announce,
    apply_batch,
    catch_up,
    create_read_model_tables,
    create_tables,
    open_connection,
    read_log,
)

log = structlog.get_logger("projections")


async def rebuild(settings: Settings, *projections: Projection) -> int:
    """Replays the whole log into fresh tables, then swaps each projection's in within one
    transaction; returns the position they were swapped in at (the least of them).

    Several projections are replayed together: the log is read and each event decoded once,
    and each batch is handed to every projection at once, each on its own connection, so
    that one's statements run in PostgreSQL while the next is worked out here. Readers keep
    reading the old tables until a swap commits; a live runner waits on the position row
    during the swap and then carries on from the rebuilt position. A partitioned projection
    is replayed as one, and each of its partitions carries on from there.
    """
    admin = await open_connection(settings)
    await admin.set_autocommit(True)
    replays: list[tuple[Projection, str, psycopg.AsyncConnection[dict[str, Any]]]] = []
    try:
        # The live tables and positions, as a projector's first start makes them: the swap
        # takes their place (before any projector ran, there was nothing to swap with).
        await create_read_model_tables(admin, {p.name: p.tables for p in projections})
        for projection in projections:
            schema = f"{settings.database_schema}__rebuild_{projection.name}"
            await admin.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )
            await admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            # search_path puts the rebuild schema first: the projection's tables and a
            # projection_positions table starting at 0 are made there; the log is read from
            # the main schema.
            conn = await open_connection(settings, schema)
            replays.append((projection, schema, conn))
            await create_tables(conn, projection)
        for projection, _, _ in replays:
            projection.replaying = True
        await _replay_together(admin, replays)
        for projection, _, conn in replays:
            async with conn.transaction(), conn.cursor() as cur:
                await projection.replayed(cur)
        positions = []
        for projection, schema, conn in replays:
            positions.append(await _analyse_and_swap(settings, projection, schema, conn))
            await admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
            log.info("rebuilt", projection=projection.name, position=positions[-1])
        return min(positions, default=0)
    finally:
        for projection, _, conn in replays:
            projection.replaying = False
            await conn.close()
        await admin.close()


def shares(projections: list[Projection], topics: dict[str, int], count: int) -> list[list[str]]:
    """The projections' names in ``count`` shares of about equal work, the work of each
    taken to be the events of the log it handles (``topics``: the log's count of each):
    the heaviest first, each into the lightest share so far."""
    work = [0] * count
    shares: list[list[str]] = [[] for _ in range(count)]
    weighed = [
        (sum(n for topic, n in topics.items() if p.wants(topic)), p.name) for p in projections
    ]
    for events, name in sorted(weighed, reverse=True):
        lightest = work.index(min(work))
        shares[lightest].append(name)
        work[lightest] += events + 1  # a read model handling nothing still reads the log
    return [share for share in shares if share]


# Batches read ahead of the slowest read model: each goes at its own pace between them.
AHEAD = 8
Decoded = tuple[list[dict[str, Any]], list[Any], int]  # rows, their events, the last position


async def _replay_together(
    reader: psycopg.AsyncConnection[dict[str, Any]],
    replays: list[tuple[Projection, str, psycopg.AsyncConnection[dict[str, Any]]]],
) -> None:
    """Every batch of the log to each projection, each in a transaction of its own with its
    position (a rebuild cut short starts again from 0: its schemas are dropped). The log is
    read and decoded once, into a queue for each projection."""
    queues: list[asyncio.Queue[Decoded | None]] = [asyncio.Queue(AHEAD) for _ in replays]

    async def read() -> None:
        after = 0
        while True:
            async with reader.cursor() as cur:
                rows = await read_log(cur, after, MAX_POSITION, BATCH_SIZE)
            if not rows:
                break
            events = [
                domain_event(row) if any(p.wants(row["topic"]) for p, _, _ in replays) else None
                for row in rows
            ]
            after = rows[-1]["notification_id"]
            for queue in queues:
                await queue.put((rows, events, after))
        for queue in queues:
            await queue.put(None)

    async def replay(
        projection: Projection,
        conn: psycopg.AsyncConnection[dict[str, Any]],
        queue: asyncio.Queue[Decoded | None],
    ) -> None:
        while (batch := await queue.get()) is not None:
            await _replay_batch(conn, projection, *batch)

    await first_failure(
        read(),
        *(replay(p, conn, queue) for (p, _, conn), queue in zip(replays, queues, strict=True)),
    )


async def _replay_batch(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    projection: Projection,
    rows: list[dict[str, Any]],
    events: list[Any],
    position: int,
) -> None:
    async with conn.transaction(), conn.cursor() as cur:
        await apply_batch(cur, projection, rows, events=events)
        await cur.execute(
            "UPDATE projection_positions SET position = %s, updated_at = now() WHERE name = %s",
            (position, projection.name),
        )


async def _analyse_and_swap(
    settings: Settings,
    projection: Projection,
    schema: str,
    conn: psycopg.AsyncConnection[dict[str, Any]],
) -> int:
    # Fresh tables have no statistics until autovacuum analyses them (never, on a server
    # that runs without it): the planner would take a table of 100,000 rows for empty, and
    # sort it on disk where it would hash it in memory.
    async with conn.cursor() as cur:
        for table in await _tables_of(cur, schema):
            await cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, table)))
    await conn.commit()
    lock_timeout = await _swap_lock_timeout(conn)
    for attempt in itertools.count():
        try:
            return await _swap(conn, projection, schema, settings.database_schema, lock_timeout)
        except psycopg.errors.LockNotAvailable:
            # A reader holds a table we need, and may want one we hold: we let go first, so
            # it finishes (nobody gets DeadlockDetected), then try again.
            log.info("swap waited for readers; trying again", projection=projection.name)
            await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
    raise AssertionError("unreachable")


async def _swap_lock_timeout(conn: psycopg.AsyncConnection[dict[str, Any]]) -> str:
    """Half the server's deadlock_timeout: a swap waiting on a reader that waits on the swap
    gives up before PostgreSQL would look for the deadlock and fail one of them."""
    row = await (
        await conn.execute(
            "SELECT greatest(setting::int / 2, 1) AS ms FROM pg_settings "
            "WHERE name = 'deadlock_timeout'"
        )
    ).fetchone()
    await conn.rollback()
    return f"{row['ms'] if row else 500}ms"


async def _swap(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    projection: Projection,
    schema: str,
    main_schema: str,
    lock_timeout: str,
) -> int:
    """Drops the live tables and moves the rebuilt ones in their place, in one transaction.

    Readers take the tables one after another, in the order their queries name them; taking
    ours one by one in another order deadlocked with them (DeadlockDetected, for the reader
    or the rebuild). So every live table is locked up front, in one statement, and only for
    as long as ``lock_timeout``: LockNotAvailable rolls the swap back, and readers go on.
    """
    main = sql.Identifier(main_schema)
    async with conn.transaction(), conn.cursor() as cur:
        # Lock the live position, so the runner cannot commit a batch while we swap: a
        # partitioned projection's partitions first, then its own row, as its runners do.
        await cur.execute(
            sql.SQL(
                "SELECT 1 FROM {}.projection_positions WHERE starts_with(name, %s) "
                "ORDER BY name FOR UPDATE"
            ).format(main),
            (f"{projection.name}#",),
        )
        await cur.execute(
            sql.SQL("SELECT 1 FROM {}.projection_positions WHERE name = %s FOR UPDATE").format(
                main
            ),
            (projection.name,),
        )
        position = await catch_up(conn, projection)  # each batch nests as a savepoint
        tables = await _tables_of(cur, schema)
        await cur.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s) "
            "ORDER BY tablename",
            (main_schema, tables),
        )
        live = [row["tablename"] for row in await cur.fetchall()]
        await cur.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout,))
        if live:
            await cur.execute(
                sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                    sql.SQL(", ").join(sql.Identifier(main_schema, table) for table in live)
                )
            )
        for table in tables:
            await cur.execute(
                sql.SQL("DROP TABLE IF EXISTS {}.{} CASCADE").format(main, sql.Identifier(table))
            )
            await cur.execute(
                sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                    sql.Identifier(schema), sql.Identifier(table), main
                )
            )
        await cur.execute(
            sql.SQL(
                "UPDATE {}.projection_positions SET position = %s, updated_at = now() "
                "WHERE name = %s OR starts_with(name, %s)"
            ).format(main),
            (position, projection.name, f"{projection.name}#"),
        )
        # Every row may have changed; said in the live schema, where readers listen.
        await cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(main))
        await announce(cur, projection.name, position)
    return position


async def _tables_of(cur: Cursor, schema: str) -> list[str]:
    await cur.execute(
        "SELECT tablename FROM pg_tables "
        "WHERE schemaname = %s AND tablename <> 'projection_positions'",
        (schema,),
    )
    return [row["tablename"] for row in await cur.fetchall()]
