"""Two writers of one aggregate: the second to commit loses with a conflict, nothing is merged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.base import Actor, ConflictError
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import TransactionDetails
from infra import database
from infra.settings import Settings


@pytest.fixture
def ledgers(settings: Settings) -> Iterator[tuple[Ledger, Ledger]]:
    database.create_schema(settings)
    env = database.event_store_env(settings)
    first, second = Ledger(env), Ledger(env)  # two command API replicas
    yield first, second
    first.close()
    second.close()


def test_the_second_of_two_concurrent_amendments_is_a_conflict(
    ledgers: tuple[Ledger, Ledger],
) -> None:
    first, second = ledgers
    by = Actor(uuid4(), "race")
    workspace_id = uuid4()
    account, _ = first.open_account(
        uuid4(), workspace_id, "Cash", AccountType.CASH, "EUR", Decimal(0), by
    )
    details = TransactionDetails(
        account.id, date(2026, 3, 1), Decimal("-4.00"), "EUR", "Tea", None, None, (), None
    )
    transaction, _, _ = first.record_transaction(uuid4(), workspace_id, details, by)

    mine = first.get_transaction(workspace_id, transaction.id)
    theirs = second.get_transaction(workspace_id, transaction.id)
    mine.amend(replace(details, amount=Decimal("-5.00")), by)
    theirs.amend(replace(details, description="Green tea"), by)
    first.save_all(mine)
    with pytest.raises(ConflictError):
        second.save_all(theirs)

    stored = first.get_transaction(workspace_id, transaction.id)
    assert (stored.version, stored.details.amount, stored.details.description) == (
        2,
        Decimal("-5.00"),
        "Tea",
    )
