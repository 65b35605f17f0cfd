"""A save bigger than one INSERT can carry is sent in parts, and stays one transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import psycopg
import pytest

from domain.base import Actor, ConflictError
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import Transaction, TransactionDetails
from infra import database
from infra.settings import Settings

EVENTS = 5 * database.ChunkedApplicationRecorder.CHUNK + 7


def test_a_save_of_many_chunks_records_every_event_with_its_position(
    own_schema: Settings,
) -> None:
    database.create_schema(own_schema)
    ledger = Ledger(database.event_store_env(own_schema))
    by = Actor(uuid4(), "bulk")
    workspace_id = uuid4()
    account, _ = ledger.open_account(
        uuid4(), workspace_id, "Cash", AccountType.CASH, "EUR", Decimal(0), by
    )
    transactions = [
        Transaction.record(
            uuid4(),
            workspace_id,
            TransactionDetails(
                account.id, date(2026, 3, 1), Decimal(-n - 1), "EUR", f"n{n}", None, None, (), None
            ),
            by,
        )
        for n in range(EVENTS)
    ]
    recordings = ledger.save(*transactions)
    ids = [r.notification.id for r in recordings]
    assert len(ids) == EVENTS
    assert ids == list(range(ids[0], ids[0] + EVENTS))
    with psycopg.connect(own_schema.database) as conn:
        stored = conn.execute(
            f"SELECT notification_id, originator_id FROM {own_schema.database_schema}"  # noqa: S608
            ".centsource_events WHERE notification_id >= %s ORDER BY notification_id",
            (ids[0],),
        ).fetchall()
    assert [(i, t.id) for i, t in zip(ids, transactions, strict=True)] == stored

    # One event already there (same id, same version): nothing of the whole save is kept.
    clash = Transaction.record(
        transactions[-1].id,
        workspace_id,
        TransactionDetails(
            account.id, date(2026, 3, 1), Decimal(-1), "EUR", "x", None, None, (), None
        ),
        by,
    )
    more = [
        Transaction.record(
            uuid4(),
            workspace_id,
            TransactionDetails(
                account.id, date(2026, 3, 2), Decimal(-1), "EUR", "y", None, None, (), None
            ),
            by,
        )
        for _ in range(2 * database.ChunkedApplicationRecorder.CHUNK)
    ]
    with pytest.raises(ConflictError):
        ledger.save_all(*more, clash)
    assert all(ledger.find(Transaction, t.id) is None for t in more[:5])
    ledger.close()
