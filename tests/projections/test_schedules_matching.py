"""Which of a schedule's dates a transaction paid, on hand-built payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from projections.schedules.matching import Payment, outcomes

TODAY = date(2026, 3, 20)
RENT = Decimal("-900.00")


def paid(n: int, day: date, amount: str = "-900.00") -> Payment:
    return Payment(UUID(int=n), day, Decimal(amount))


def statuses(dates: list[date], payments: list[Payment]) -> list[tuple[str, int | None]]:
    return [
        (o.status, None if o.transaction_id is None else o.transaction_id.int)
        for o in outcomes(dates, RENT, payments, TODAY)
    ]


def test_a_payment_within_three_days_and_five_percent_pays_a_date() -> None:
    dates = [date(2026, 1, 31), date(2026, 2, 28)]
    payments = [paid(1, date(2026, 2, 3), "-940.00"), paid(2, date(2026, 2, 25), "-856.00")]
    assert statuses(dates, payments) == [("PAID", 1), ("PAID", 2)]


def test_a_payment_four_days_off_or_six_percent_off_pays_nothing() -> None:
    dates = [date(2026, 1, 31), date(2026, 2, 28)]
    payments = [paid(1, date(2026, 2, 4)), paid(2, date(2026, 2, 28), "-954.01")]
    assert statuses(dates, payments) == [("MISSED", None), ("MISSED", None)]


def test_one_payment_pays_one_date_only_and_the_nearest_is_taken() -> None:
    dates = [date(2026, 3, 1), date(2026, 3, 3)]
    payments = [paid(1, date(2026, 3, 2)), paid(2, date(2026, 3, 1))]
    assert statuses(dates, payments) == [("PAID", 2), ("PAID", 1)]
    assert statuses(dates, [paid(1, date(2026, 3, 2))]) == [("PAID", 1), ("MISSED", None)]


def test_a_date_is_due_while_its_window_is_open_and_the_future_is_left_out() -> None:
    dates = [date(2026, 3, 16), date(2026, 3, 17), date(2026, 3, 20), date(2026, 3, 21)]
    assert statuses(dates, []) == [("MISSED", None), ("DUE", None), ("DUE", None)]


def test_an_income_is_matched_by_money_coming_in_not_going_out() -> None:
    salary = [date(2026, 3, 1)]
    assert (
        outcomes(salary, Decimal("2500"), [paid(1, date(2026, 3, 1), "-2500")], TODAY)[0].status
        == "MISSED"
    )
