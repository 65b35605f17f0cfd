"""Spending forecasts from monthly totals: periods, the trend, seasons, the range, too little
history, and the event that records one."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain.base import Actor, DomainError, InvalidInputError
from domain.forecasting.forecast import (
    History,
    Methodology,
    MonthTotal,
    SpendingForecast,
    compute,
    parse_period,
)

FOOD, RENT = uuid4(), uuid4()


def _history(amounts: list[str], category: UUID = FOOD, first: date = date(2026, 1, 1)) -> History:
    """One total a month from ``first``; ``as_of`` is the last month's last day."""
    totals, month = [], first
    for amount in amounts:
        totals.append(MonthTotal(month, category, Decimal(amount)))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return History(first, month - timedelta(days=1), tuple(totals))


def test_periods_are_a_month_or_a_quarter() -> None:
    assert parse_period("2026-11").months == (date(2026, 11, 1),)
    q1 = parse_period("Q1-2027")
    assert (q1.start, q1.end, len(q1.months)) == (date(2027, 1, 1), date(2027, 3, 31), 3)
    for bad in ("2026-13", "Q5-2027", "Nov 2026", "1999-01"):
        with pytest.raises(InvalidInputError) as raised:
            parse_period(bad)
        assert raised.value.field == "period"


def test_a_steady_rise_is_followed_by_the_linear_trend_with_no_range() -> None:
    history = _history(["100", "110", "120", "130"])  # Jan to Apr 2026
    found = compute(parse_period("2026-06"), Methodology.LINEAR, None, history, "EUR")
    assert (found["low"], found["median"], found["high"]) == ("150.00", "150.00", "150.00")
    assert found["history"]["periods_analysed"] == 4
    assert found["history"]["average"] == "115.00"
    assert found["history"]["growth_rate"] == "8.7"  # 10 / 115
    assert found["categories"][0]["trend"] == "UP"
    assert found["recommendations"]


def test_a_quarter_sums_its_months_and_the_range_widens_with_noise() -> None:
    history = _history(["100", "140", "100", "140"])
    found = compute(parse_period("Q3-2026"), Methodology.LINEAR, None, history, "EUR")
    low, median, high = (Decimal(found[k]) for k in ("low", "median", "high"))
    assert low < median < high
    # x = 0 … 3 (Jan to Apr): a = 108, b = 8; July to September are x = 6, 7, 8.
    assert median == Decimal("492.00")  # 156 + 164 + 172


def test_seasonal_factors_lift_the_month_that_was_high_a_year_ago() -> None:
    amounts = ["100"] * 11 + ["300"] + ["100"] * 11 + ["300"]  # every December high
    history = _history(amounts, first=date(2024, 1, 1))
    december = compute(parse_period("2026-12"), Methodology.SEASONAL, None, history, "EUR")
    linear = compute(parse_period("2026-12"), Methodology.LINEAR, None, history, "EUR")
    assert Decimal(december["median"]) > 2 * Decimal(linear["median"])
    assert Decimal(december["history"]["seasonal_factor"]) > 2


def test_under_30_days_of_history_is_422_naming_the_days() -> None:
    history = History(
        date(2026, 3, 1), date(2026, 3, 20), (MonthTotal(date(2026, 3, 1), None, Decimal(5)),)
    )
    with pytest.raises(DomainError) as raised:
        compute(parse_period("2026-04"), Methodology.LINEAR, None, history, "EUR")
    assert raised.value.status == 422
    assert "only 20 days" in raised.value.detail


def test_categories_narrow_the_total_to_theirs() -> None:
    food = _history(["100", "100"])
    both = History(
        food.first_day,
        food.as_of,
        (*food.totals, *(MonthTotal(t.month, RENT, Decimal(800)) for t in food.totals)),
    )
    found = compute(parse_period("2026-04"), Methodology.LINEAR, [RENT], both, "EUR")
    assert found["median"] == "800.00"
    assert [c["category_id"] for c in found["categories"]] == [str(RENT)]


def test_a_forecast_is_recorded_as_one_made_event() -> None:
    history = _history(["100", "110"])
    forecast = SpendingForecast.make(
        uuid4(),
        uuid4(),
        parse_period("2026-03"),
        Methodology.LINEAR,
        None,
        history,
        "EUR",
        Actor(uuid4(), "c"),
    )
    [made] = forecast.collect_events()
    assert isinstance(made, SpendingForecast.Made)
    assert (made.period, made.median, made.methodology) == ("2026-03", "120.00", "linear")
