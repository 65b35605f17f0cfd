"""The dates a schedule falls on and the rules of a schedule, without any infrastructure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.base import Actor, ConflictError, DomainError
from domain.ledger.schedules import (
    Cadence,
    Schedule,
    ScheduleTerms,
    nth_occurrence,
    occurrence_transaction_id,
    occurrences,
)

BY = Actor(uuid4(), "correlation-1")
TERMS = ScheduleTerms(
    name="Rent",
    amount=Decimal("-900.00"),
    category="Housing",
    merchant="Landlord",
    cadence=Cadence.MONTHLY,
    next_date=date(2026, 1, 31),
    end_date=None,
    auto_post=False,
)


def test_monthly_dates_add_calendar_months_to_the_anchor_cut_to_the_month_end() -> None:
    dates = list(occurrences(date(2026, 1, 31), Cadence.MONTHLY, None, date(2026, 5, 31)))
    assert dates == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]


def test_a_leap_day_falls_on_the_last_of_february_in_other_years() -> None:
    assert nth_occurrence(date(2024, 2, 29), Cadence.YEARLY, 1) == date(2025, 2, 28)
    assert nth_occurrence(date(2024, 2, 29), Cadence.YEARLY, 4) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("cadence", "second"),
    [
        (Cadence.WEEKLY, date(2026, 12, 7)),
        (Cadence.BIWEEKLY, date(2026, 12, 14)),
        (Cadence.QUARTERLY, date(2027, 2, 28)),
        (Cadence.YEARLY, date(2027, 11, 30)),
    ],
)
def test_each_cadence_steps_as_named(cadence: Cadence, second: date) -> None:
    anchor = date(2026, 11, 30)
    assert nth_occurrence(anchor, cadence, 1) == second


def test_occurrences_stop_at_the_end_date() -> None:
    dates = occurrences(date(2026, 1, 5), Cadence.WEEKLY, date(2026, 1, 19), date(2026, 12, 31))
    assert list(dates) == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]


def test_an_occurrence_has_one_transaction_id_per_schedule_and_date() -> None:
    schedule_id = uuid4()
    day = date(2026, 3, 1)
    assert occurrence_transaction_id(schedule_id, day) == occurrence_transaction_id(
        schedule_id, day
    )
    assert occurrence_transaction_id(schedule_id, day) != occurrence_transaction_id(uuid4(), day)
    assert occurrence_transaction_id(schedule_id, day) != occurrence_transaction_id(
        schedule_id, date(2026, 3, 2)
    )


def new_schedule(terms: ScheduleTerms = TERMS) -> Schedule:
    return Schedule.create(uuid4(), uuid4(), terms, uuid4(), "EUR", None, BY)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": Decimal(0)}, "amount"),
        ({"amount": Decimal("-1.001")}, "amount"),
        ({"name": "  "}, "name"),
        ({"end_date": date(2026, 1, 30)}, "end_date"),
        ({"next_date": date(1066, 10, 14)}, "next_date"),
    ],
)
def test_a_schedule_refuses_terms_that_break_a_rule(changes: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as raised:
        new_schedule(replace(TERMS, **changes))  # type: ignore[arg-type]
    assert raised.value.field == field


def test_changing_to_the_same_terms_records_no_event_and_a_deleted_one_cannot_change() -> None:
    schedule = new_schedule()
    schedule.change(TERMS, BY)
    assert len(schedule.collect_events()) == 1  # Created only
    schedule.change(replace(TERMS, cadence=Cadence.QUARTERLY, auto_post=True), BY)
    assert (schedule.cadence, schedule.auto_post) == (Cadence.QUARTERLY, True)
    schedule.delete(BY)
    with pytest.raises(ConflictError):
        schedule.change(TERMS, BY)
