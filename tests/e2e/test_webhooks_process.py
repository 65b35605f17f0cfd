"""`centsource webhooks` leaves on SIGTERM, even while a worker thread of its waits on a lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
from psycopg import sql

from infra.settings import Settings


def test_the_dispatcher_stops_on_sigterm_while_its_schema_is_locked(own_schema: Settings) -> None:
    schema = own_schema.database_schema
    with psycopg.connect(own_schema.database) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.commit()
        oid = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
        assert oid is not None
        # Until rolled back, this holds the schema: the dispatcher, making its tables there
        # in a worker thread, waits, as it would on another process's DDL lock.
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        dispatcher = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "webhooks"],
            env={**os.environ, **own_schema.as_env(), "CENTSOURCE_LOG_LEVEL": "warning"},
        )
        try:
            with psycopg.connect(own_schema.database, autocommit=True) as watcher:
                deadline = time.monotonic() + 90
                while not watcher.execute(
                    "SELECT 1 FROM pg_locks WHERE locktype = 'object' AND NOT granted "
                    "AND classid = 'pg_namespace'::regclass AND objid = %s",
                    (oid[0],),
                ).fetchone():
                    assert dispatcher.poll() is None, "the dispatcher exited"
                    assert time.monotonic() < deadline, "the dispatcher never waited on the schema"
                    time.sleep(0.2)
            dispatcher.send_signal(signal.SIGTERM)
            try:
                dispatcher.wait(5)
            except subprocess.TimeoutExpired:
                raise AssertionError("the dispatcher was still running 5 s after SIGTERM") from None
            assert dispatcher.returncode == 0
        finally:
            if dispatcher.poll() is None:
                dispatcher.kill()
                dispatcher.wait(10)
            conn.rollback()
