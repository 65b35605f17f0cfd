"""Verifies a read model: replays the log into a scratch schema and compares it with the live
tables, row for row, at one position. Reads only; the scratch schema is dropped after.

The live tables move while the scratch is built, so the comparison is made at the live
position, under its lock (as a rebuild's swap takes it): the live runner waits meanwhile, and
the scratch is first brought to exactly that position by replaying the few events between.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from infra.settings import Settings
from projections import runtime
from projections.runtime import Projection

Conn = psycopg.AsyncConnection[dict[str, Any]]


async def verify(settings: Settings, projection: Projection) -> dict[str, Any]:
    """``{"position", "matches", "tables": {table: {"live_rows", "rebuilt_rows",
    "only_live", "only_rebuilt"}}}``: rows counted, and rows of one side missing from the
    other (every column compared as text)."""
    main = settings.database_schema
    scratch = f"{main}__verify_{projection.name}"
    admin = await runtime.open_connection(settings)
    await admin.set_autocommit(True)
    # A run that died left its scratch behind: this one starts it over.
    await admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(scratch)))
    await admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(scratch)))
    conn = await runtime.open_connection(settings, scratch)
    try:
        await runtime.create_tables(conn, projection)
        built = await runtime.catch_up(conn, projection)
        # The live one may be behind the scratch: compared once it has passed it.
        await runtime.wait_for_projections(admin, (projection.name,), built)
        async with conn.transaction():
            row = await (
                await conn.execute(
                    sql.SQL(
                        "SELECT position FROM {}.projection_positions WHERE name = %s FOR UPDATE"
                    ).format(sql.Identifier(main)),
                    (projection.name,),
                )
            ).fetchone()
            live = row["position"] if row else 0
            await _replay(conn, projection, built, live)
            tables = await _compare(conn, scratch, main)
        return {
            "position": live,
            "matches": all(not t["only_live"] and not t["only_rebuilt"] for t in tables.values()),
            "tables": tables,
        }
    finally:
        await conn.close()
        await admin.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(scratch))
        )
        await admin.close()


async def _replay(conn: Conn, projection: Projection, after: int, until: int) -> None:
    """The events after ``after`` up to ``until`` into the scratch tables (a batch's steps)."""
    while after < until:
        async with conn.cursor() as cur:
            rows = await runtime.read_log(cur, after, until, runtime.BATCH_SIZE)
            if not rows:
                return
            await runtime.apply_batch(cur, projection, rows)
            after = rows[-1]["notification_id"]


async def _compare(conn: Conn, scratch: str, main: str) -> dict[str, dict[str, int]]:
    tables: dict[str, dict[str, int]] = {}
    names = await (
        await conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s "
            "AND tablename <> 'projection_positions' ORDER BY tablename",
            (scratch,),
        )
    ).fetchall()
    for name in (row["tablename"] for row in names):
        columns = await (
            await conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY column_name",
                (scratch, name),
            )
        ).fetchall()
        # Named, in one order, as text: a live table grown by ALTER TABLE has its columns in
        # another order, and some types (json) have no equality.
        selected = sql.SQL(", ").join(
            sql.SQL("{}::text").format(sql.Identifier(row["column_name"])) for row in columns
        )
        rebuilt = sql.SQL("SELECT {} FROM {}").format(selected, sql.Identifier(scratch, name))
        live = sql.SQL("SELECT {} FROM {}").format(selected, sql.Identifier(main, name))
        try:
            async with conn.transaction():  # a savepoint: a live table may be missing
                counts = await (
                    await conn.execute(
                        sql.SQL(
                            "SELECT (SELECT count(*) FROM ({live}) l) AS live_rows, "
                            "(SELECT count(*) FROM ({rebuilt}) r) AS rebuilt_rows, "
                            "(SELECT count(*) FROM ({live} EXCEPT ALL {rebuilt}) x) AS only_live, "
                            "(SELECT count(*) FROM ({rebuilt} EXCEPT ALL {live}) y) AS only_rebuilt"
                        ).format(live=live, rebuilt=rebuilt)
                    )
                ).fetchone()
        except psycopg.errors.UndefinedTable:  # the live projection never ran
            counts = await (
                await conn.execute(
                    sql.SQL(
                        "SELECT 0 AS live_rows, count(*) AS rebuilt_rows, 0 AS only_live, "
                        "count(*) AS only_rebuilt FROM {}"
                    ).format(sql.Identifier(scratch, name))
                )
            ).fetchone()
        assert counts is not None
        tables[name] = {key: int(value) for key, value in counts.items()}
    return tables
