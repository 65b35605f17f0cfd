"""A process decodes a row of the log once for all its runners, and never hands one row's
event for another's (several schemas' logs may hold the same aggregate and version)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from domain.base import Actor, build_mapper
from domain.ledger.transaction import Transaction, TransactionDetails
from projections.decoding import domain_event
from projections.following import DecodedEvents

BY = Actor(uuid4(), "tests")


def _row(transaction_id: UUID, amount: str) -> dict[str, object]:
    details = TransactionDetails(
        uuid4(), date(2026, 1, 2), Decimal(amount), "EUR", "Shop", None, None, (), None
    )
    stored = build_mapper().to_stored_event(
        Transaction.recorded(transaction_id, uuid4(), details, BY)
    )
    return {
        "originator_id": stored.originator_id,
        "originator_version": stored.originator_version,
        "topic": stored.topic,
        "state": stored.state,
    }


def test_a_row_is_decoded_once_and_another_row_of_the_same_aggregate_version_is_its_own() -> None:
    decoded = DecodedEvents()
    transaction_id = uuid4()
    here, there = _row(transaction_id, "-1.50"), _row(transaction_id, "-2.75")
    first = decoded(here)
    assert decoded(dict(here)) is first  # the same bytes: decoded once
    other = decoded(there)  # another schema's log: the same id and version
    assert other is not first
    assert (first.amount, other.amount) == (Decimal("-1.50"), Decimal("-2.75"))
    assert domain_event(here) is not first  # a lone reader keeps nothing
