"""A projector killed mid-way resumes exactly; a rebuild yields the same tables, swapped live."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import psycopg
from psycopg import sql

from infra.settings import Settings
from projections import registry, runtime
from tests.projections.log_writer import write_history

TABLES = {
    "transactions": ["transactions"],
    "dashboard": [
        "dashboard_transactions",
        "dashboard_months",
        "dashboard_categories",
        "dashboard_accounts",
        "dashboard_account_months",
        "dashboard_workspaces",
    ],
}


def _query(settings: Settings, query: str, *params: Any) -> list[Any]:
    with psycopg.connect(
        settings.database, options=f"-c search_path={settings.database_schema}"
    ) as conn:
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def _positions(settings: Settings) -> dict[str, int]:
    try:
        return dict(_query(settings, "SELECT name, position FROM projection_positions"))
    except psycopg.errors.UndefinedTable:
        return {}


def _head(settings: Settings) -> int:
    return int(_query(settings, "SELECT max(notification_id) FROM centsource_events")[0][0])


def _snapshot(settings: Settings) -> dict[str, list[str]]:
    return {
        table: [
            row[0]
            for row in _query(
                settings,
                sql.SQL("SELECT to_jsonb(t)::text AS row FROM {} t ORDER BY 1")  # type: ignore[arg-type]
                .format(sql.Identifier(table))
                .as_string(),
            )
        ]
        for tables in TABLES.values()
        for table in tables
    }


def _projector(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "project", *TABLES],
        env={**os.environ, **settings.as_env()},
        stdout=subprocess.DEVNULL,
    )


def _wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_projector_killed_while_catching_up_ends_identical_to_a_rebuild(
    own_schema: Settings,
) -> None:
    settings = own_schema
    workspace_id, net = write_history(settings, transactions=9_000)
    head = _head(settings)
    assert head >= 10_000

    first = _projector(settings)
    try:
        _wait_until(lambda: _positions(settings).get("dashboard", 0) > 0, 60, "a first batch")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    killed_at = _positions(settings)
    assert killed_at["dashboard"] < head, "the projector finished before it could be killed"

    second = _projector(settings)
    try:
        _wait_until(lambda: all(p == head for p in _positions(settings).values()), 120, "catch-up")
    finally:
        second.terminate()
        second.wait(10)

    resumed = _snapshot(settings)
    [(income, expenses)] = _query(
        settings,
        "SELECT sum(income), sum(expenses) FROM dashboard_months WHERE workspace_id = %s",
        workspace_id,
    )
    assert income - expenses == net, "the books do not add up after the crash"
    [(listed,)] = _query(settings, "SELECT sum(amount) FROM transactions WHERE NOT deleted")
    assert listed == net

    for name in TABLES:
        [projection] = registry.select(settings, [name])
        assert asyncio.run(runtime.rebuild(settings, projection)) == head
    assert _snapshot(settings) == resumed


def test_a_rebuild_swaps_in_while_reads_keep_being_answered(own_schema: Settings) -> None:
    settings = own_schema
    write_history(settings, transactions=2_000, seed=2)
    head = _head(settings)
    [projection] = registry.select(settings, ["transactions"])
    asyncio.run(runtime.catch_up_once(settings, projection))
    expected = _query(settings, "SELECT count(*), sum(amount) FROM transactions")[0]

    answers: list[Any] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            try:
                answers.append(
                    _query(settings, "SELECT count(*), sum(amount) FROM transactions")[0]
                )
            except psycopg.Error as error:
                errors.append(error)

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        assert asyncio.run(runtime.rebuild(settings, projection)) == head
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert answers, "the reader never got an answer"
    assert set(answers) == {expected}, "a reader saw a half-built table"
