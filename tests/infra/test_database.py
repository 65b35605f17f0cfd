"""The event store: processes that start at once on a new schema all start, the applications
of one process share one pool, and the read API's index on it is made again when unusable."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import psycopg
import pytest
from psycopg import sql

from domain.budgeting.application import Budgeting
from domain.ledger.application import Ledger
from infra import database
from infra.settings import Settings
from projections import access
from projections.runtime import open_connection
from tests.projections.processes import query

START_A_LEDGER = (
    "from domain.ledger.application import Ledger\n"
    "from infra import database\n"
    "from infra.settings import Settings\n"
    "Ledger(database.event_store_env(Settings.from_env())).close()\n"
)


def test_processes_starting_together_on_a_new_schema_all_start(own_schema: Settings) -> None:
    database.create_schema(own_schema)
    env = {**os.environ, **own_schema.as_env()}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", START_A_LEDGER],
            env=env,
            stderr=subprocess.PIPE,
        )
        for _ in range(6)
    ]
    failures = [p.stderr.read() for p in processes if p.wait(60) != 0 and p.stderr]
    assert failures == []


def test_the_applications_of_a_process_share_one_pool_until_the_last_closes(
    own_schema: Settings,
) -> None:
    database.create_schema(own_schema)
    ledger = Ledger(database.event_store_env(own_schema))
    budgeting = Budgeting(database.event_store_env(own_schema))
    assert ledger.factory.datastore is budgeting.factory.datastore  # type: ignore[attr-defined]
    pool = ledger.factory.datastore.pool  # type: ignore[attr-defined]
    ledger.close()
    assert not pool.closed
    assert budgeting.recorder.max_notification_id() is None  # the other still reads the log
    budgeting.close()
    assert pool.closed


def test_an_invalid_narrowing_index_is_made_again(own_schema: Settings) -> None:
    database.create_schema(own_schema)
    Ledger(database.event_store_env(own_schema)).close()  # makes the event table

    async def create() -> bool:
        conn = await open_connection(own_schema)
        await conn.set_autocommit(True)  # as the read API's listener is
        try:
            return await access.create_index(conn)
        finally:
            await conn.close()

    def valid() -> list[tuple[bool]]:
        return query(
            own_schema,
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)",
            access._INDEX,
        )

    assert asyncio.run(create())
    assert valid() == [(True,)]
    # What a CREATE INDEX CONCURRENTLY cut short leaves: an index no query uses.
    query(
        own_schema,
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass(%s) RETURNING 1",
        access._INDEX,
    )
    assert valid() == [(False,)]
    assert asyncio.run(create())
    assert valid() == [(True,)]


def test_a_save_whose_client_stalls_under_the_event_table_s_lock_lets_the_lock_go(
    own_schema: Settings,
) -> None:
    database.create_schema(own_schema)
    ledger = Ledger(database.event_store_env(own_schema))
    recorder = ledger.recorder
    assert isinstance(recorder, database.ChunkedApplicationRecorder)
    events = sql.Identifier(own_schema.database_schema, recorder.events_table_name)
    with psycopg.connect(own_schema.database) as stalled:
        # What a save sends first; then its client stops (stopped, killed, lost).
        stalled.execute(recorder.lock_statement)
        with psycopg.connect(own_schema.database) as writer:
            writer.execute("SET lock_timeout = '60s'")
            # Waits until the server ends the stalled session, not the 60 s.
            writer.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events))
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
            stalled.execute("SELECT 1")
    ledger.close()
