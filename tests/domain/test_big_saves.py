"""A save bigger than one INSERT carries is sent in parts, and stays one transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from domain.base import Actor, ConflictError
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import Transaction, TransactionDetails
from infra import database
from infra.settings import Settings

# About 1.3 MB of events: several INSERTs of CHUNK_BYTES, more than a socket's buffers hold.
EVENTS = 1_507


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
        for _ in range(EVENTS)
    ]
    with pytest.raises(ConflictError):
        ledger.save_all(*more, clash)
    assert all(ledger.find(Transaction, t.id) is None for t in more[:5])
    ledger.close()


def test_a_save_is_cut_in_order_into_runs_of_at_most_the_limit_and_a_big_event_goes_alone() -> None:
    def stored(size: int) -> StoredEvent:
        return StoredEvent(uuid4(), 1, "t", b"x" * size)

    # 100 bytes of state weigh 165 with their framing; 50 weigh 115.
    events = [stored(100), stored(100), stored(1000), stored(50), stored(50), stored(50)]
    chunks = list(database.byte_chunks(events, 400))
    assert [len(chunk) for chunk in chunks] == [2, 1, 3]
    assert [event for chunk in chunks for event in chunk] == events
    assert list(database.byte_chunks([], 400)) == []
