"""The ledger keeps a batch's recordings in memory and writes them together; the changes of
those transactions later in the same batch wait for them, and leave the ledger as one event a
batch leaves it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.base import Actor
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.import_chunks import ImportChunks
from domain.ledger.transaction import Transaction, TransactionDetails
from infra import database
from infra.settings import Settings
from projections import runtime
from projections.ledger.projector import LedgerProjection
from tests.projections.processes import forget, query

BY = Actor(uuid4(), "tests")
TABLES = ("ledger_transactions", "ledger_account_days", "ledger_balance_moves")


def ledger_tables(settings: Settings) -> dict[str, list[Any]]:
    return {table: sorted(query(settings, f"SELECT * FROM {table}")) for table in TABLES}  # noqa: S608


def test_changes_of_recordings_in_their_own_batch_leave_the_ledger_as_one_event_a_batch(
    own_schema: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    database.create_schema(own_schema)
    ledger = Ledger(database.event_store_env(own_schema))
    workspace_id = uuid4()
    cash, _ = ledger.open_account(
        uuid4(), workspace_id, "Cash", AccountType.CASH, "EUR", Decimal(10), BY
    )
    card, _ = ledger.open_account(
        uuid4(), workspace_id, "Card", AccountType.CHECKING, "EUR", Decimal(0), BY
    )
    # Recordings and, straight after, changes of them, as a replayed history can hold them.
    chunk = ImportChunks(ledger)
    transactions = []
    for n in range(5):
        details = TransactionDetails(
            cash.id, date(2026, 2, 1 + n), Decimal(f"-{n + 1}.5"), "EUR", f"Shop {n}", None,
            None, (), None,
        )  # fmt: skip
        recorded = Transaction.recorded(uuid4(), workspace_id, details, BY)
        chunk.add(recorded)
        transactions.append((recorded.mutate(None), details))
    (first, details), (second, _), (third, _) = transactions[:3]
    moved = replace(details, account_id=card.id, date=date(2026, 3, 1), amount=Decimal("-9.99"))
    first.amend(moved, BY)
    first.amend(replace(moved, amount=Decimal("-1.01")), BY)
    second.delete(BY)
    third.delete(BY)
    third.restore(BY)
    for transaction in (first, second, third):
        for event in transaction.collect_events():
            chunk.add(event)
    chunk.save()
    ledger.close()

    asyncio.run(runtime.catch_up_once(own_schema, LedgerProjection()))  # one batch
    together = ledger_tables(own_schema)
    forget(own_schema, "ledger")
    monkeypatch.setattr(runtime, "BATCH_SIZE", 1)
    asyncio.run(runtime.catch_up_once(own_schema, LedgerProjection()))  # an event a batch

    assert ledger_tables(own_schema) == together
    days = {(row[0], row[1]): row[2] for row in together["ledger_account_days"]}
    assert days[(card.id, date(2026, 3, 1))] == Decimal("-1.01")
    assert days[(cash.id, date(2026, 2, 2))] == 0  # the second, deleted
    assert days[(cash.id, date(2026, 2, 3))] == Decimal("-3.5")  # the third, restored
