"""Projection processes under test: where they stand, and killing one half-way through."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from psycopg import sql

from infra.settings import Settings


def query(settings: Settings, statement: str, *params: Any) -> list[Any]:
    options = f"-c search_path={settings.database_schema}"
    with psycopg.connect(settings.database, options=options) as conn:
        return conn.execute(statement, params).fetchall()  # type: ignore[arg-type]


def snapshot(settings: Settings, tables: Iterable[str]) -> dict[str, list[str]]:
    """Each table's rows as JSON text, in order: equal snapshots are equal tables."""
    return {
        table: [
            row[0]
            for row in query(
                settings,
                sql.SQL("SELECT to_jsonb(t)::text FROM {} t ORDER BY 1")  # type: ignore[arg-type]
                .format(sql.Identifier(table))
                .as_string(),
            )
        ]
        for table in tables
    }


def forget(settings: Settings, name: str) -> None:
    """Empties the tables named after the read model (``ledger…``) and puts its position
    back to the start of the log."""
    options = f"-c search_path={settings.database_schema}"
    with psycopg.connect(settings.database, options=options) as conn:
        for (table,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE %s",
            (settings.database_schema, f"{name}%"),
        ).fetchall():
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
        conn.execute("UPDATE projection_positions SET position = 0 WHERE name = %s", (name,))


def positions(settings: Settings) -> dict[str, int]:
    try:
        return dict(query(settings, "SELECT name, position FROM projection_positions"))
    except psycopg.errors.UndefinedTable:
        return {}


def head(settings: Settings) -> int:
    return int(query(settings, "SELECT max(notification_id) FROM centsource_events")[0][0])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def start(settings: Settings, *command: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "infra.cli", *command],
        env={**os.environ, **settings.as_env()},
        stdout=subprocess.DEVNULL,
    )


def kill_half_way(settings: Settings, watched: str, *command: str) -> None:
    """SIGKILLs the process once ``watched`` has committed a batch but not reached the head."""
    process = start(settings, *command)
    try:
        wait_until(lambda: positions(settings).get(watched, 0) > 0, 60, "a first batch")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        process.kill()
    assert positions(settings)[watched] < head(settings), f"{watched} finished before the kill"


def run_to_head(settings: Settings, *command: str) -> None:
    """Runs the process until every projection has reached the head, then stops it."""
    process = start(settings, *command)
    try:
        last = head(settings)
        wait_until(lambda: all(p == last for p in positions(settings).values()), 120, "catch-up")
    finally:
        process.terminate()
        process.wait(10)
