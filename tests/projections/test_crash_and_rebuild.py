"""A projector killed mid-way resumes exactly; a rebuild yields the same tables, swapped live."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import psycopg

from infra.settings import Settings
from projections import rebuilds, registry, runtime
from tests.projections.log_writer import write_history
from tests.projections.processes import head, kill_half_way, query, run_to_head, snapshot

TABLES = {
    "transactions": ["transactions", "transactions_category_days"],
    "dashboard": [
        "dashboard_transactions",
        "dashboard_months",
        "dashboard_categories",
        "dashboard_accounts",
        "dashboard_account_months",
        "dashboard_workspaces",
    ],
    "ledger": ["ledger_transactions", "ledger_account_days", "ledger_balance_moves"],
}


def _snapshot(settings: Settings) -> dict[str, list[str]]:
    return snapshot(settings, (table for tables in TABLES.values() for table in tables))


def test_a_projector_killed_while_catching_up_ends_identical_to_a_rebuild(
    own_schema: Settings,
) -> None:
    settings = own_schema
    workspace_id, net = write_history(settings, transactions=9_000)
    last = head(settings)
    assert last >= 10_000

    kill_half_way(settings, "dashboard", "project", *TABLES)

    run_to_head(settings, "project", *TABLES)

    resumed = _snapshot(settings)
    [(income, expenses)] = query(
        settings,
        "SELECT sum(income), sum(expenses) FROM dashboard_months WHERE workspace_id = %s",
        workspace_id,
    )
    assert income - expenses == net, "the books do not add up after the crash"
    [(listed,)] = query(settings, "SELECT sum(amount) FROM transactions WHERE NOT deleted")
    assert listed == net
    [(balance,)] = query(settings, "SELECT sum(change) FROM ledger_account_days")
    [(moved,)] = query(settings, "SELECT sum(change) FROM ledger_balance_moves")
    assert balance == moved == net, "the balance does not add up after the crash"

    # Rebuilt together: the log read once, each batch handed to the three at once.
    together = registry.select(settings, list(TABLES))
    assert asyncio.run(rebuilds.rebuild(settings, *together)) == last
    assert _snapshot(settings) == resumed
    # And shared between two processes, each replaying its share from its own read.
    assert registry.rebuild_read_models(settings, list(TABLES), processes=2) == last
    assert _snapshot(settings) == resumed
    # The rebuilt tables come with statistics: the planner knows the transactions are many.
    [(planned,)] = query(
        settings,
        "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
        f"{settings.database_schema}.transactions",
    )
    assert planned == listed_rows(settings)


def listed_rows(settings: Settings) -> int:
    [(count,)] = query(settings, "SELECT count(*) FROM transactions")
    return int(count)


def test_a_rebuild_swaps_in_while_reads_keep_being_answered(own_schema: Settings) -> None:
    settings = own_schema
    write_history(settings, transactions=2_000, seed=2)
    last = head(settings)
    [projection] = registry.select(settings, ["transactions"])
    asyncio.run(runtime.catch_up_once(settings, projection))
    expected = query(settings, "SELECT count(*), sum(amount) FROM transactions")[0]

    answers: list[Any] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            try:
                answers.append(query(settings, "SELECT count(*), sum(amount) FROM transactions")[0])
            except psycopg.Error as error:
                errors.append(error)

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        assert asyncio.run(rebuilds.rebuild(settings, projection)) == last
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert answers, "the reader never got an answer"
    assert set(answers) == {expected}, "a reader saw a half-built table"


def test_a_read_model_no_projector_has_run_yet_is_rebuilt(own_schema: Settings) -> None:
    settings = own_schema
    _, net = write_history(settings, transactions=200, seed=3)
    last = head(settings)
    [projection] = registry.select(settings, ["transactions"])

    assert asyncio.run(rebuilds.rebuild(settings, projection)) == last
    assert query(settings, "SELECT sum(amount) FROM transactions WHERE NOT deleted") == [(net,)]
