"""The rules of a transaction, without any infrastructure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.base import Actor, DomainError, InvalidInputError, build_mapper
from domain.ledger.transaction import Origin, SplitPart, Transaction, TransactionDetails

BY = Actor(uuid4(), "correlation-1")


def details(**changes: object) -> TransactionDetails:
    base = TransactionDetails(
        account_id=uuid4(),
        date=date(2026, 3, 14),
        amount=Decimal("-5.75"),
        currency="EUR",
        description="Coffee",
        merchant=None,
        category_id=None,
        tags=("work",),
        notes=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_recording_a_transaction_carries_who_when_and_where() -> None:
    workspace_id = uuid4()
    transaction = Transaction.record(uuid4(), workspace_id, details(), BY)
    [recorded] = transaction.collect_events()
    assert isinstance(recorded, Transaction.Recorded)
    assert recorded.workspace_id == workspace_id
    assert recorded.actor_id == BY.actor_id
    assert recorded.correlation_id == "correlation-1"
    assert recorded.occurred_at.tzinfo is not None
    assert recorded.amount == Decimal("-5.75")


def test_a_zero_amount_is_refused() -> None:
    with pytest.raises(DomainError, match="cannot be zero"):
        Transaction.record(uuid4(), uuid4(), details(amount=Decimal("0.00")), BY)


def test_more_decimals_than_the_currency_has_are_refused() -> None:
    with pytest.raises(DomainError, match="decimal places"):
        Transaction.record(uuid4(), uuid4(), details(amount=Decimal("-5.755")), BY)
    with pytest.raises(DomainError, match="decimal places"):
        Transaction.record(uuid4(), uuid4(), details(amount=Decimal("-5.5"), currency="JPY"), BY)


def test_trailing_zeros_are_not_extra_decimals() -> None:
    transaction = Transaction.record(uuid4(), uuid4(), details(amount=Decimal("-5.7500")), BY)
    assert transaction.details.amount == Decimal("-5.75")


def imported(amount: str) -> Transaction:
    """A line of a money-market statement, as an import records it."""
    return Transaction.record(
        uuid4(),
        uuid4(),
        details(amount=Decimal(amount), currency="USD"),
        BY,
        origin=Origin(external_id="fitid:2", import_id=uuid4()),
    )


def test_an_imported_amount_keeps_up_to_8_decimals_exactly() -> None:
    assert imported("115.8331").details.amount == Decimal("115.8331")
    assert imported("-0.00000001").details.amount == Decimal("-0.00000001")
    with pytest.raises(DomainError, match="up to 8 decimal places"):
        imported("0.000000001")


def test_a_typed_amount_finer_than_the_minor_unit_is_still_refused() -> None:
    with pytest.raises(DomainError, match="USD has 2 decimal places"):
        Transaction.record(
            uuid4(), uuid4(), details(amount=Decimal("115.8331"), currency="USD"), BY
        )


def test_an_amount_of_a_quadrillion_or_more_is_refused_also_from_a_statement() -> None:
    with pytest.raises(DomainError, match="less than"):
        imported("1000000000000000")


def test_an_imported_fine_amount_survives_an_amendment_of_the_rest_but_a_new_one_is_typed() -> None:
    transaction = imported("115.8331")
    transaction.amend(replace(transaction.details, description="Interest"), BY)
    assert transaction.details.amount == Decimal("115.8331")
    with pytest.raises(DomainError, match="USD has 2 decimal places"):
        transaction.amend(replace(transaction.details, amount=Decimal("115.8332")), BY)


def test_an_imported_fine_amount_splits_into_parts_as_fine_as_itself_and_no_finer() -> None:
    transaction = imported("115.8331")
    transaction.split(
        (SplitPart(None, Decimal("100.0001"), None), SplitPart(None, Decimal("15.833"), None)), BY
    )
    assert sum(part.amount for part in transaction.splits) == Decimal("115.8331")
    with pytest.raises(DomainError, match="up to 4 decimal places"):
        transaction.split(
            (
                SplitPart(None, Decimal("100.00005"), None),
                SplitPart(None, Decimal("15.83305"), None),
            ),
            BY,
        )


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(DomainError, match="ISO 4217"):
        Transaction.record(uuid4(), uuid4(), details(currency="XXY"), BY)


def test_amending_with_the_same_details_records_nothing() -> None:
    transaction = Transaction.record(uuid4(), uuid4(), details(), BY)
    transaction.collect_events()
    transaction.amend(transaction.details, BY)
    assert transaction.collect_events() == []


def test_amending_records_every_field_as_it_is_after_the_change() -> None:
    transaction = Transaction.record(uuid4(), uuid4(), details(), BY)
    transaction.amend(replace(transaction.details, amount=Decimal("-6.10")), BY)
    amended = transaction.collect_events()[-1]
    assert isinstance(amended, Transaction.Amended)
    assert amended.amount == Decimal("-6.10")
    assert amended.description == "Coffee"
    assert transaction.version == 2


def test_a_deleted_transaction_cannot_be_amended_or_deleted_again() -> None:
    transaction = Transaction.record(uuid4(), uuid4(), details(), BY)
    transaction.delete(BY)
    with pytest.raises(DomainError, match="deleted"):
        transaction.amend(replace(transaction.details, description="Tea"), BY)
    with pytest.raises(DomainError, match="deleted"):
        transaction.delete(BY)


def test_only_a_deleted_transaction_can_be_restored() -> None:
    transaction = Transaction.record(uuid4(), uuid4(), details(), BY)
    with pytest.raises(DomainError, match="not deleted"):
        transaction.restore(BY)
    transaction.delete(BY)
    transaction.restore(BY)
    assert not transaction.deleted


def test_a_time_of_day_is_recorded_amended_and_cleared_and_replays() -> None:
    transaction = Transaction.record(uuid4(), uuid4(), details(time=time(22, 45)), BY)
    transaction.amend(replace(transaction.details, time=time(23, 5, 10)), BY)
    transaction.amend(replace(transaction.details, time=None), BY)
    events = transaction.collect_events()
    assert [getattr(e, "time", "-") for e in events] == [time(22, 45), time(23, 5, 10), None]
    mapper = build_mapper()
    replayed: Any = None
    for stored in (mapper.to_stored_event(e) for e in events):
        replayed = mapper.to_domain_event(stored).mutate(replayed)
    assert replayed.details.time is None
    assert replayed.version == 3


def test_a_time_with_a_zone_or_a_fraction_of_a_second_is_refused() -> None:
    for bad in (time(22, 45, tzinfo=UTC), time(22, 45, 0, 5)):
        with pytest.raises(InvalidInputError) as refused:
            Transaction.record(uuid4(), uuid4(), details(time=bad), BY)
        assert refused.value.field == "time"
    with pytest.raises(InvalidInputError):
        Transaction.record(uuid4(), uuid4(), details(), BY).amend(
            details(time=time(1, tzinfo=timezone(timedelta(hours=1)))), BY
        )


def _stored_as_version_2(event: Any) -> Any:
    """The event as it was written before transactions had a time of day."""
    mapper = build_mapper()
    stored = mapper.to_stored_event(event)
    state = mapper.transcoder.decode(stored.state)
    assert state.pop("class_version") == 3
    del state["time"]
    state["class_version"] = 2
    return type(stored)(
        stored.originator_id,
        stored.originator_version,
        stored.topic,
        mapper.transcoder.encode(state),
    )


def test_recorded_and_amended_events_stored_before_times_of_day_still_load() -> None:
    mapper = build_mapper()
    transaction = Transaction.record(uuid4(), uuid4(), details(), BY)
    transaction.amend(replace(transaction.details, description="Tea"), BY)
    recorded, amended = (
        mapper.to_domain_event(_stored_as_version_2(e)) for e in transaction.collect_events()
    )
    assert isinstance(recorded, Transaction.Recorded)
    assert isinstance(amended, Transaction.Amended)
    assert (recorded.time, amended.time) == (None, None)
    replayed = amended.mutate(recorded.mutate(None))
    assert replayed is not None
    assert (replayed.details.description, replayed.details.time) == ("Tea", None)


def test_a_recorded_event_of_the_first_version_loads_through_both_upcasters() -> None:
    mapper = build_mapper()
    [event] = Transaction.record(uuid4(), uuid4(), details(), BY).collect_events()
    stored = mapper.to_stored_event(event)
    state = mapper.transcoder.decode(stored.state)
    for name in ("class_version", "time", "category_id", "categorized_by", "confidence"):
        del state[name]
    for name in ("transfer_id", "counter_account_id", "external_id", "import_id"):
        del state[name]
    state["category"] = "Coffee"
    version_1 = type(stored)(
        stored.originator_id,
        stored.originator_version,
        stored.topic,
        mapper.transcoder.encode(state),
    )
    loaded = mapper.to_domain_event(version_1)
    assert isinstance(loaded, Transaction.Recorded)
    assert loaded.time is None
    assert loaded.category_id is not None
    assert loaded.mutate(None) is not None
