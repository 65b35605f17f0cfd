"""The event store: processes that start at once on a new schema all start, and the
applications of one process share one pool."""

from __future__ import annotations

import os
import subprocess
import sys

from domain.budgeting.application import Budgeting
from domain.ledger.application import Ledger
from infra import database
from infra.settings import Settings

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
