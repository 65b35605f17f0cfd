"""Spending patterns on hand-built lines, without a database."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from projections.insights import patterns
from projections.insights.model import Line, SpendingPatterns
from projections.ledger.view import Conversion, Rates

COFFEE, RENT = uuid4(), uuid4()
NAMES = {COFFEE: "Coffee", RENT: "Rent"}
# Wednesday 2026-03-11: this week (from Monday) is 9 to 11 March, this month 1 to 11 March
# (1 March a Sunday, 7 and 8 a weekend).
TODAY = date(2026, 3, 11)


def _line(
    day: date,
    amount: str,
    category: UUID | None = COFFEE,
    currency: str = "EUR",
    transfer: bool = False,
    transaction_id: UUID | None = None,
) -> Line:
    return Line(
        transaction_id=transaction_id or uuid4(),
        date=day,
        amount=Decimal(amount),
        currency=currency,
        category_id=category,
        merchant="Shop",
        description="Shop",
        transfer=transfer,
        investment=False,
    )


def _euros(*rates: tuple[str, str, date, str]) -> Conversion:
    rows = [{"currency": c, "quote": q, "date": d, "rate": Decimal(r)} for c, q, d, r in rates]
    return Conversion(Rates(rows), "EUR")


def _patterns(
    lines: list[Line], times: dict[UUID, time] | None = None, timeframe: str = "month"
) -> SpendingPatterns:
    return patterns.spending_patterns(lines, times or {}, _euros(), TODAY, timeframe, NAMES)


@pytest.mark.parametrize(
    ("timeframe", "start"),
    [
        ("week", date(2026, 3, 9)),
        ("month", date(2026, 3, 1)),
        ("quarter", date(2026, 1, 1)),
        ("year", date(2026, 1, 1)),
    ],
)
def test_the_timeframe_runs_from_its_first_day_to_today(timeframe: str, start: date) -> None:
    result = _patterns([], timeframe=timeframe)
    assert (result.start, result.end) == (start, TODAY)


def test_the_three_full_periods_before_the_current_one_oldest_first() -> None:
    assert patterns.full_periods(date(2026, 1, 1), "quarter") == [
        (date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2025, 12, 31)),
    ]
    assert patterns.full_periods(date(2026, 3, 9), "week")[0] == (
        date(2026, 2, 16),
        date(2026, 2, 22),
    )


def test_averages_are_per_calendar_day_with_empty_days_as_zero() -> None:
    # 1-11 March: weekend days 1, 7, 8 (3); weekdays 2-6, 9-11 (8).
    lines = [
        _line(date(2026, 3, 7), "-60.00"),
        _line(date(2026, 3, 8), "-30.00"),
        _line(date(2026, 3, 3), "-40.00"),
        _line(date(2026, 3, 3), "1000.00"),  # income: no spending
        _line(date(2026, 3, 4), "-500.00", transfer=True),  # a transfer: no spending
    ]
    result = _patterns(lines)
    assert (result.weekend_days, result.weekday_days) == (3, 8)
    assert result.weekend_daily_average == "30.00"  # 90 / 3
    assert result.weekday_daily_average == "5.00"  # 40 / 8
    assert result.weekend_pct == "500.00"  # (30 / 5 - 1) * 100
    assert result.total_expenses == "130.00"
    assert result.transaction_count == 3
    assert result.average_transaction == "43.33"
    [insight] = result.insights
    assert insight.type == "PATTERN"
    assert insight.title == "You spend more at weekends"
    assert insight.impact == "HIGH"
    assert insight.amount == "25.00"
    assert [(f.label, f.amount, f.days, f.count) for f in insight.evidence.figures] == [
        ("weekend", "90.00", 3, 2),
        ("weekdays", "40.00", 8, 1),
    ]


@pytest.mark.parametrize(
    ("weekend", "impact"),
    [("12.40", None), ("12.50", "LOW"), ("15.00", "MODERATE"), ("20.00", "HIGH")],
)
def test_the_weekend_pattern_starts_at_25_percent_and_grows_in_impact(
    weekend: str, impact: str | None
) -> None:
    # weekdays 80 / 8 = 10.00 a day; the weekend's 3 days at ``weekend`` each.
    lines = [_line(date(2026, 3, 2), "-80.00")] + [
        _line(date(2026, 3, day), f"-{weekend}") for day in (1, 7, 8)
    ]
    found = [i.impact for i in _patterns(lines).insights]
    assert found == ([] if impact is None else [impact])


def test_no_weekday_spending_leaves_weekend_pct_null_and_no_weekend_insight() -> None:
    result = _patterns([_line(date(2026, 3, 7), "-50.00")])
    assert result.weekday_daily_average == "0.00"
    assert result.weekend_pct is None
    assert result.insights == []


def test_a_week_without_a_weekend_day_yet_has_a_null_weekend_average() -> None:
    result = _patterns([_line(date(2026, 3, 10), "-5.00")], timeframe="week")
    assert (result.weekend_days, result.weekday_days) == (0, 3)
    assert result.weekend_daily_average is None
    assert result.weekend_pct is None


def test_an_empty_or_income_only_workspace_has_zeros_and_nulls() -> None:
    for lines in ([], [_line(date(2026, 3, 2), "2000.00")]):
        result = _patterns(lines)
        assert result.total_expenses == "0.00"
        assert result.transaction_count == 0
        assert result.average_transaction is None
        assert result.weekend_pct is None
        assert result.late_night_count == 0
        assert result.insights == []


def test_late_night_is_22_up_to_5_and_a_transaction_without_time_never_counts() -> None:
    at = {
        "21:59:59": time(21, 59, 59),
        "22:00": time(22),
        "23:30": time(23, 30),
        "00:00": time(0),
        "04:59:59": time(4, 59, 59),
        "05:00": time(5),
    }
    lines = {label: _line(date(2026, 3, 3), "-10.00") for label in at}
    untimed = _line(date(2026, 3, 3), "-10.00")
    times = {lines[label].transaction_id: value for label, value in at.items()}
    result = _patterns([*lines.values(), untimed], times)
    assert result.late_night_count == 4
    [insight] = result.insights
    assert insight.title == "You often spend late at night"
    assert insight.amount == "40.00"
    assert insight.impact == "HIGH"  # 40 of 70
    assert set(insight.evidence.transaction_ids) == {
        lines[label].transaction_id for label in ("22:00", "23:30", "00:00", "04:59:59")
    }
    assert insight.evidence.figures[0].count == 4


def test_two_late_nights_are_no_pattern() -> None:
    lines = [_line(date(2026, 3, 3), "-10.00") for _ in range(2)]
    result = _patterns(lines, {line.transaction_id: time(23) for line in lines})
    assert result.late_night_count == 2
    assert result.insights == []


def test_a_category_rising_three_months_in_a_row_is_a_trend_with_the_three_amounts() -> None:
    lines = [
        _line(date(2025, 12, 5), "-40.00"),
        _line(date(2026, 1, 5), "-50.00"),
        _line(date(2026, 2, 5), "-30.00"),
        _line(date(2026, 2, 6), "-40.00"),
        _line(date(2025, 12, 1), "-900.00", RENT),  # rent: flat, no trend
        _line(date(2026, 1, 1), "-900.00", RENT),
        _line(date(2026, 2, 1), "-950.00", RENT),
        _line(date(2026, 1, 9), "-5.00", None),  # uncategorized: never a trend
        _line(date(2026, 2, 9), "-50.00", None),
    ]
    [trend] = _patterns(lines).insights
    assert trend.type == "TREND"
    assert trend.category_id == COFFEE
    assert trend.category == "Coffee"
    assert trend.amount == "30.00"  # 70 - 40
    assert trend.impact == "MODERATE"  # 75 %
    assert [(f.start, f.end, f.amount, f.count) for f in trend.evidence.figures] == [
        (date(2025, 12, 1), date(2025, 12, 31), "40.00", 1),
        (date(2026, 1, 1), date(2026, 1, 31), "50.00", 1),
        (date(2026, 2, 1), date(2026, 2, 28), "70.00", 2),
    ]


def test_a_rise_under_10_percent_or_from_nothing_is_no_trend() -> None:
    small = [_line(date(2025, 12, 5), "-100.00"), _line(date(2026, 1, 5), "-105.00")]
    small.append(_line(date(2026, 2, 5), "-109.99"))
    from_nothing = [
        _line(date(2026, 1, 5), "-10.00", RENT),
        _line(date(2026, 2, 5), "-20.00", RENT),
    ]
    assert _patterns(small + from_nothing).insights == []


def test_a_currency_without_a_rate_is_left_out_and_named() -> None:
    result = _patterns([_line(date(2026, 3, 3), "-10.00", currency="GBP")])
    assert result.total_expenses == "0.00"
    assert result.conversion.unconverted == ["GBP"]
