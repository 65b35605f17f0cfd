"""Recurring series on hand-built occurrences, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from projections.insights import recurring
from projections.insights.model import Occurrence, PriceChange, RecurringSeries

WORKSPACE, CHECKING, CARD = uuid4(), uuid4(), uuid4()
STREAMING, SALARY, GROCERIES = uuid4(), uuid4(), uuid4()
NAMES = {STREAMING: "Subscriptions", SALARY: "Salary", GROCERIES: "Groceries"}
TODAY = date(2026, 3, 10)


def _occurrence(
    day: date,
    amount: str,
    description: str,
    merchant: str | None = None,
    account: UUID = CHECKING,
    category: UUID | None = None,
    currency: str = "EUR",
) -> Occurrence:
    return Occurrence(
        transaction_id=uuid4(),
        account_id=account,
        date=day,
        amount=Decimal(amount),
        currency=currency,
        category_id=category,
        merchant=merchant,
        description=description,
    )


def _months(first: date, count: int) -> list[date]:
    return [recurring.add_periods(first, recurring.CADENCES[2], n) for n in range(count)]


def _find(occurrences: list[Occurrence], today: date = TODAY) -> dict[str, RecurringSeries]:
    found = recurring.find_recurring(
        sorted(occurrences, key=lambda o: o.date), WORKSPACE, today, NAMES
    )
    return {f"{series.merchant}:{series.type}": series for series in found}


def test_a_monthly_subscription_that_stepped_from_9_99_to_12_99_reports_the_price_change() -> None:
    days = _months(date(2025, 8, 15), 7)
    amounts = ["-9.99"] * 4 + ["-12.99"] * 3
    [series] = _find(
        [
            _occurrence(day, amount, "NETFLIX.COM 866-579", category=STREAMING)
            for day, amount in zip(days, amounts, strict=True)
        ]
    ).values()
    assert (series.merchant, series.type, series.cadence) == ("Netflix", "expense", "MONTHLY")
    assert (series.category, series.account_id, series.currency) == (
        "Subscriptions",
        CHECKING,
        "EUR",
    )
    assert (series.typical_amount, series.min_amount, series.max_amount) == (
        "12.99",
        "9.99",
        "12.99",
    )
    assert series.price_change == PriceChange(old="9.99", new="12.99", since=date(2025, 12, 15))
    assert (series.first_date, series.last_date) == (date(2025, 8, 15), date(2026, 2, 15))
    assert series.next_expected_date == date(2026, 3, 15)
    assert series.occurrences == 7
    assert series.annual_cost == "155.88"  # 12.99 x 12
    assert series.status == "ACTIVE"
    assert series.confidence == "1.00"  # every gap in the window, the new price exact
    assert series.id == recurring.natural_id(
        WORKSPACE, "recurring", "netflix", CHECKING, "expense", "EUR"
    )


def test_a_monthly_salary_is_an_income_series_on_the_last_day_of_each_month() -> None:
    days = [date(2025, 9, 30), date(2025, 10, 31), date(2025, 11, 28), date(2025, 12, 31)]
    days += [date(2026, 1, 30), date(2026, 2, 27)]
    found = _find([_occurrence(day, "2500.00", "ACME GMBH SALARY", "Acme") for day in days])
    salary = found["Acme:income"]
    assert (salary.cadence, salary.typical_amount, salary.annual_cost) == (
        "MONTHLY",
        "2500.00",
        "30000.00",
    )
    assert salary.price_change is None
    assert salary.next_expected_date == date(2026, 3, 27)
    assert salary.status == "ACTIVE"


def test_weekly_groceries_within_20_percent_are_a_series_and_wider_swings_are_not() -> None:
    steady = [
        _occurrence(date(2026, 1, 7) + timedelta(weeks=n), f"-{amount}", "Market", account=CARD)
        for n, amount in enumerate(("50.00", "45.00", "55.00", "52.00", "48.00", "50.00"))
    ]
    swinging = [
        _occurrence(date(2026, 1, 8) + timedelta(weeks=n), f"-{amount}", "Bakery", account=CARD)
        for n, amount in enumerate(("10.00", "25.00", "8.00", "30.00", "12.00", "40.00"))
    ]
    found = _find(steady + swinging)
    assert set(found) == {"Market:expense"}
    market = found["Market:expense"]
    assert (market.cadence, market.typical_amount, market.annual_cost) == (
        "WEEKLY",
        "50.00",
        "2600.00",
    )
    assert (market.min_amount, market.max_amount) == ("45.00", "55.00")
    assert market.price_change is None
    # stability 1 - mean(0, .1, .1, .04, .04, 0) = 0.953…; gaps all regular; history full
    assert market.confidence == "0.95"


def test_a_yearly_insurance_seen_twice_is_a_series_with_little_confidence() -> None:
    found = _find(
        [
            _occurrence(date(2024, 4, 2), "-480.00", "Allianz car insurance", "Allianz"),
            _occurrence(date(2025, 4, 1), "-480.00", "Allianz car insurance", "Allianz"),
        ]
    )
    insurance = found["Allianz:expense"]
    assert insurance.cadence == "YEARLY"
    assert insurance.next_expected_date == date(2026, 4, 1)
    assert insurance.annual_cost == "480.00"
    assert insurance.confidence == "0.33"  # one gap of the three a full history has
    assert insurance.status == "ACTIVE"


def test_a_series_is_late_one_period_overdue_and_stopped_after_two() -> None:
    gym = [_occurrence(day, "-30.00", "Gym") for day in _months(date(2025, 6, 1), 5)]
    # last 2025-10-01, next 2025-11-01: ACTIVE to 11-06, LATE to 12-06, then STOPPED
    assert _find(gym, date(2025, 11, 6))["Gym:expense"].status == "ACTIVE"
    assert _find(gym, date(2025, 11, 7))["Gym:expense"].status == "LATE"
    assert _find(gym, date(2025, 12, 6))["Gym:expense"].status == "LATE"
    assert _find(gym, date(2025, 12, 7))["Gym:expense"].status == "STOPPED"


def test_one_offs_irregular_gaps_and_two_monthly_payments_are_no_series() -> None:
    occurrences = [
        _occurrence(date(2026, 1, 3), "-120.00", "Electronics shop"),
        _occurrence(date(2026, 1, 19), "-35.50", "Restaurant Roma"),
        _occurrence(date(2026, 2, 2), "-35.50", "Hardware store"),
        _occurrence(date(2026, 2, 25), "-15.00", "Cinema"),
        # the same shop at irregular gaps (5, 40, 12 days)
        _occurrence(date(2025, 11, 1), "-20.00", "Bookshop"),
        _occurrence(date(2025, 11, 6), "-20.00", "Bookshop"),
        _occurrence(date(2025, 12, 16), "-20.00", "Bookshop"),
        _occurrence(date(2025, 12, 28), "-20.00", "Bookshop"),
        # monthly, but seen only twice
        _occurrence(date(2026, 1, 5), "-9.00", "Cloud storage"),
        _occurrence(date(2026, 2, 5), "-9.00", "Cloud storage"),
    ]
    assert _find(occurrences) == {}


def test_series_are_kept_apart_by_account_sign_and_currency() -> None:
    days = _months(date(2025, 10, 3), 4)
    occurrences = [_occurrence(day, "-10.00", "Spotify") for day in days]
    occurrences += [_occurrence(day, "-10.00", "Spotify", account=CARD) for day in days]
    occurrences += [_occurrence(day, "-11.00", "Spotify", currency="USD") for day in days]
    occurrences += [_occurrence(day, "10.00", "Spotify") for day in days[:2]]  # refunds
    found = recurring.find_recurring(occurrences, WORKSPACE, TODAY, NAMES)
    assert sorted((s.account_id == CARD, s.currency) for s in found) == [
        (False, "EUR"),
        (False, "USD"),
        (True, "EUR"),
    ]
    assert len({s.id for s in found}) == 3
