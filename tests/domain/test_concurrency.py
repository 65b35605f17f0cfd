"""Two writers of one aggregate: the second to commit loses with a conflict, nothing is merged;
where a race has a right answer (two first sign-ups), both writers get it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.base import Actor, ConflictError
from domain.identity.application import Identity
from domain.identity.user import SystemRole
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import TransactionDetails
from infra import database
from infra.passwords import Argon2Hasher
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


class HashingTogether(Argon2Hasher):
    """Lets two sign-ups through hashing only together: both then look for the installation
    before either has saved, as two first sign-ups at once do."""

    def __init__(self) -> None:
        super().__init__()
        self.together = threading.Barrier(2, timeout=30)

    def hash(self, password: str) -> str:
        hashed = super().hash(password)
        self.together.wait()
        return hashed


def test_two_first_sign_ups_at_once_both_succeed_and_one_is_the_first_admin(
    own_schema: Settings,
) -> None:
    database.create_schema(own_schema)
    identity = Identity(database.event_store_env(own_schema), HashingTogether(), "code-key")
    roles: dict[str, SystemRole] = {}

    def sign_up(email: str) -> None:
        user, _ = identity.sign_up(email, "Racer", "Correct-horse-9", "race")
        roles[email] = user.system_role

    threads = [threading.Thread(target=sign_up, args=(f"{n}@example.com",)) for n in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    identity.close()
    assert sorted(roles.values()) == [SystemRole.ADMIN, SystemRole.USER]
