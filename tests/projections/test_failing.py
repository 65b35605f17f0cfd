"""A projection that keeps failing is reported by both APIs' /health and by `projections
status`, while the other projections of its process go on; once mended it carries on from
its position, and the report clears."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from litestar.testing import TestClient

from command_api.app import create_app as create_command_app
from domain.base import Actor
from domain.ledger.application import Ledger
from domain.ledger.transaction import Transaction, TransactionDetails
from infra import database
from infra.health import FAILING_AFTER
from infra.settings import Settings
from projections import registry, runtime
from read_api.app import create_app as create_read_app
from tests.conftest import BackgroundProjector
from tests.projections.log_writer import write_history
from tests.projections.processes import head, positions, query, wait_until


def failures(settings: Settings, name: str) -> int:
    rows = query(settings, "SELECT failures FROM projection_positions WHERE name = %s", name)
    return int(rows[0][0]) if rows else 0


def execute(settings: Settings, statement: str) -> None:
    options = f"-c search_path={settings.database_schema}"
    with psycopg.connect(settings.database, options=options, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


@pytest.fixture
def clients(own_schema: Settings) -> Iterator[list[TestClient[Any]]]:
    with (
        TestClient(create_command_app(own_schema)) as commands,
        TestClient(create_read_app(own_schema)) as reads,
    ):
        yield [commands, reads]


def test_a_projection_failing_again_and_again_is_reported_until_it_is_mended(
    own_schema: Settings, clients: list[TestClient[Any]]
) -> None:
    settings = own_schema
    write_history(settings, transactions=20, seed=3)
    projector = BackgroundProjector(settings, ["transactions", "activities"])
    try:
        wait_until(
            lambda: positions(settings).get("transactions") == head(settings), 60, "catch-up"
        )
        for client in clients:
            assert client.get("/health").status_code == 200
        # Its table gone, every batch of the transactions projection fails.
        execute(settings, "ALTER TABLE transactions RENAME TO transactions_away")
        write_history(settings, transactions=5, seed=4)
        wait_until(lambda: failures(settings, "transactions") >= FAILING_AFTER, 60, "failures")

        for client in clients:
            response = client.get("/health")
            assert response.status_code == 503
            [failing] = response.json()["failing"]
            assert failing["name"] == "transactions"
            assert failing["position"] == positions(settings)["transactions"] < head(settings)
            assert failing["head"] == head(settings)
            assert failing["error"] == "UndefinedTable"
            assert failing["failures"] >= FAILING_AFTER
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            registry.status(settings)
        [line] = [line for line in printed.getvalue().splitlines() if line.startswith("trans")]
        assert "FAILING (UndefinedTable" in line
        # The other projection of the process went on.
        wait_until(lambda: positions(settings)["activities"] == head(settings), 60, "activities")

        execute(settings, "ALTER TABLE transactions_away RENAME TO transactions")
        wait_until(lambda: positions(settings)["transactions"] == head(settings), 60, "recovery")
    finally:
        projector.stop()
    assert failures(settings, "transactions") == 0
    for client in clients:
        assert client.get("/health").status_code == 200
    [(missing,)] = query(
        settings,
        "SELECT count(*) FROM centsource_events e WHERE topic LIKE %s "
        "AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = e.originator_id)",
        "%:Transaction.Recorded",
    )
    assert missing == 0, "a transaction recorded while the projection failed was skipped"


def test_a_log_that_already_holds_a_nul_is_projected_past_it_without_skipping(
    own_schema: Settings,
) -> None:
    """What an installation that stopped on such an event does: upgrade and restart. The
    projection starts again from its committed position (before the event), takes the event
    with U+FFFD for the NUL, and goes on: nothing is skipped, the report clears."""
    settings = own_schema
    workspace_id, _ = write_history(settings, transactions=3, seed=5)
    [projection] = registry.select(settings, ["transactions"])
    asyncio.run(runtime.catch_up_once(settings, projection))
    [(account_id,)] = query(settings, "SELECT DISTINCT account_id FROM transactions")
    # As the edge let it through before it refused NUL; the runner had stopped on it.
    transaction_id = record(settings, workspace_id, account_id, "before\x00after")
    query(
        settings,
        "UPDATE projection_positions SET failures = 9, failing_since = now(), "
        "last_error = 'DataError' WHERE name = 'transactions' RETURNING 1",
    )

    assert asyncio.run(runtime.catch_up_once(settings, projection)) == head(settings)
    assert failures(settings, "transactions") == 0
    [(description,)] = query(
        settings, "SELECT description FROM transactions WHERE id = %s", transaction_id
    )
    assert description == "before\ufffdafter"


def record(settings: Settings, workspace_id: UUID, account_id: UUID, description: str) -> UUID:
    ledger = Ledger(database.event_store_env(settings))
    try:
        details = TransactionDetails(
            account_id=account_id,
            date=date(2026, 3, 14),
            amount=Decimal("-1.00"),
            currency="EUR",
            description=description,
            merchant=None,
            category_id=None,
            tags=(),
            notes=None,
        )
        transaction = Transaction.record(uuid4(), workspace_id, details, Actor(uuid4(), "test"))
        ledger.save(transaction)
        return transaction.id
    finally:
        ledger.close()
