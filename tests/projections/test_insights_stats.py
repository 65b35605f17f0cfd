"""Insights' statistics and anomaly detection on hand-built lines, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from projections.insights import anomalies, stats
from projections.insights.model import Line
from projections.ledger.view import Conversion, Rates

GROCERIES, RENT = uuid4(), uuid4()
NAMES = {GROCERIES: "Groceries", RENT: "Rent"}


def _line(
    day: date,
    amount: str,
    category: UUID | None = GROCERIES,
    currency: str = "EUR",
    transfer: bool = False,
    investment: bool = False,
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
        investment=investment,
    )


def _euros(*rates: tuple[str, str, date, str]) -> Conversion:
    rows = [{"currency": c, "quote": q, "date": d, "rate": Decimal(r)} for c, q, d, r in rates]
    return Conversion(Rates(rows), "EUR")


def test_month_stats_count_income_expenses_and_investments_but_not_transfers() -> None:
    split = uuid4()
    lines = [
        _line(date(2026, 2, 3), "2000.00", None),
        _line(date(2026, 2, 10), "-500.00", RENT),
        _line(date(2026, 3, 1), "2500.00", None),
        _line(date(2026, 3, 5), "-30.00", GROCERIES, transaction_id=split),
        _line(date(2026, 3, 5), "-20.00", RENT, transaction_id=split),
        _line(date(2026, 3, 9), "-300.00", None, transfer=True),
        _line(date(2026, 3, 9), "300.00", None, transfer=True, investment=True),
    ]
    result = stats.month_stats(lines, _euros(), date(2026, 3, 1))
    assert result.current.income == "2500.00"
    assert result.current.expenses == "50.00"
    assert result.current.net == "2450.00"
    assert result.current.investments == "300.00"
    assert result.current.savings_rate == "98.00"
    assert result.current.transaction_count == 2  # the split once, the transfer never
    assert result.previous.net == "1500.00"
    assert result.previous_month == "2026-02"
    assert (result.change.net.amount, result.change.net.percent) == ("950.00", "63.33")
    assert (result.change.expenses.amount, result.change.expenses.percent) == ("-450.00", "-90.00")
    assert result.change.savings_rate.amount == "23.00"  # points: 98.00 - 75.00
    assert result.change.transaction_count.amount == "0"


def test_a_month_without_income_has_no_savings_rate_and_no_percent_change_from_zero() -> None:
    result = stats.month_stats([_line(date(2026, 3, 2), "-10.00")], _euros(), date(2026, 3, 1))
    assert result.current.savings_rate is None
    assert result.change.expenses.percent is None  # nothing the month before
    assert result.change.savings_rate.amount is None
    assert result.current.net == "-10.00"


def test_an_empty_workspace_has_zeros_everywhere() -> None:
    result = stats.month_stats([], _euros(), date(2026, 3, 1))
    assert (result.current.income, result.current.expenses, result.current.net) == (
        "0.00",
        "0.00",
        "0.00",
    )
    assert result.current.transaction_count == 0


def test_a_currency_without_a_rate_is_left_out_and_named_and_converted_sums_round_once() -> None:
    conversion = _euros(("USD", "EUR", date(2026, 3, 1), "0.333"))
    lines = [
        _line(date(2026, 3, 2), "-1.00", currency="USD"),
        _line(date(2026, 3, 3), "-1.00", currency="USD"),
        _line(date(2026, 3, 4), "-1.00", currency="USD"),
        _line(date(2026, 3, 4), "-5000", currency="JPY"),
        _line(date(2026, 3, 5), "-0.10"),
    ]
    result = stats.month_stats(lines, conversion, date(2026, 3, 1))
    # 0.999 converted, rounded once to 1.00 (three roundings of 0.333 would give 0.99).
    assert result.current.expenses == "1.10"
    assert result.current.transaction_count == 4  # the yen one is left out entirely
    assert result.conversion.unconverted == ["JPY"]
    assert [r.currency for r in result.conversion.rates_used] == ["USD"]


def test_trends_give_every_period_empty_ones_as_zeros_with_expenses_per_category() -> None:
    lines = [
        _line(date(2026, 1, 5), "-10.00", GROCERIES),
        _line(date(2026, 1, 6), "-40.00", RENT),
        _line(date(2026, 3, 7), "100.00", None),
    ]
    spans = stats.periods(date(2026, 1, 1), date(2026, 3, 31), "month")
    assert spans is not None
    result = stats.trends(lines, _euros(), spans, "month", NAMES)
    assert [(r.start, r.expenses, r.income, r.net) for r in result.data] == [
        (date(2026, 1, 1), "50.00", "0.00", "-50.00"),
        (date(2026, 2, 1), "0.00", "0.00", "0.00"),
        (date(2026, 3, 1), "0.00", "100.00", "100.00"),
    ]
    assert [(c.category, c.amount) for c in result.data[0].categories] == [
        ("Rent", "40.00"),
        ("Groceries", "10.00"),
    ]


def test_periods_are_clipped_to_the_range_and_weeks_start_on_the_workspaces_weekday() -> None:
    weeks = stats.periods(date(2026, 3, 4), date(2026, 3, 17), "week", "SUNDAY")
    assert weeks == [
        (date(2026, 3, 4), date(2026, 3, 7)),
        (date(2026, 3, 8), date(2026, 3, 14)),
        (date(2026, 3, 15), date(2026, 3, 17)),
    ]
    assert stats.periods(date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=999), "day")
    assert stats.periods(date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=1000), "day") is None
    assert stats.periods(date(1900, 1, 1), date(2200, 12, 31), "year") is not None


def test_top_categories_give_share_of_spending_and_count_ordered_by_amount() -> None:
    lines = [
        _line(date(2026, 3, 1), "-30.00", GROCERIES),
        _line(date(2026, 3, 2), "-30.00", GROCERIES),
        _line(date(2026, 3, 3), "-120.00", RENT),
        _line(date(2026, 3, 3), "-20.00", None),
        _line(date(2026, 3, 4), "500.00", None),
        _line(date(2026, 3, 4), "-80.00", None, transfer=True),
    ]
    result = stats.top_categories(lines, _euros(), date(2026, 3, 1), date(2026, 3, 31), 2, NAMES)
    assert result.total_expenses == "200.00"
    assert [(r.category, r.amount, r.percentage, r.count) for r in result.data] == [
        ("Rent", "120.00", "60.00", 1),
        ("Groceries", "60.00", "30.00", 2),
    ]


def test_cash_flow_gives_each_month_oldest_first() -> None:
    lines = [_line(date(2026, 2, 1), "1000.00", None), _line(date(2026, 3, 1), "-250.00")]
    months = stats.last_months(date(2026, 3, 1), 3)
    result = stats.cash_flow(lines, _euros(), months)
    assert [(m.month, m.income, m.expenses, m.savings) for m in result.data] == [
        ("2026-01", "0.00", "0.00", "0.00"),
        ("2026-02", "1000.00", "0.00", "1000.00"),
        ("2026-03", "0.00", "250.00", "-250.00"),
    ]


def test_periods_held_lists_years_and_months_newest_first() -> None:
    held = stats.periods_held([date(2025, 12, 1), date(2026, 2, 1), date(2025, 12, 1)])
    assert (held.years, held.months) == ([2026, 2025], ["2026-02", "2025-12"])


def _history(start: date, amounts: list[str]) -> list[Line]:
    return [_line(start + timedelta(days=7 * i), f"-{a}") for i, a in enumerate(amounts)]


def test_an_expense_far_above_its_categorys_history_is_an_anomaly_with_its_figures() -> None:
    lines = _history(date(2026, 1, 1), ["40.00", "50.00", "60.00", "40.00", "60.00"])
    big = _line(date(2026, 3, 1), "-200.00")
    result = anomalies.find_anomalies(
        [*lines, big], _euros(), date(2026, 3, 1), date(2026, 3, 31), Decimal(3), NAMES
    )
    [found] = result.data
    # mean 50, sample sd = sqrt((100+0+100+100+100)/4) = 10, z = (200-50)/10 = 15
    assert found.transaction_id == big.transaction_id
    assert (found.average_amount, found.standard_deviation) == ("50.00", "10.00")
    assert (found.standard_deviations, found.history_count) == ("15.00", 5)
    assert found.category == "Groceries"
    assert "15.00 standard deviations above the average of 50.00 EUR" in found.reason


def test_no_anomaly_with_fewer_than_five_earlier_expenses_or_within_the_threshold() -> None:
    four = _history(date(2026, 1, 1), ["40.00", "50.00", "60.00", "40.00"])
    big = _line(date(2026, 3, 1), "-200.00")
    range_ = (date(2026, 3, 1), date(2026, 3, 31))
    assert not anomalies.find_anomalies([*four, big], _euros(), *range_, Decimal(3), NAMES).data
    five = [*four, _line(date(2026, 2, 1), "-60.00")]
    # z = (80 - 50) / 10 = 3: not more than 3
    at = _line(date(2026, 3, 1), "-80.00")
    assert not anomalies.find_anomalies([*five, at], _euros(), *range_, Decimal(3), NAMES).data


def test_history_older_than_180_days_and_other_categories_do_not_count() -> None:
    old = _history(date(2025, 1, 1), ["40.00", "50.00", "60.00", "40.00", "60.00"])
    rent = [_line(date(2026, 2, 1) + timedelta(days=i), f"-{10 + i}.00", RENT) for i in range(5)]
    big = _line(date(2026, 3, 1), "-200.00")
    result = anomalies.find_anomalies(
        [*old, *rent, big], _euros(), date(2026, 3, 1), date(2026, 3, 31), Decimal(3), NAMES
    )
    assert result.data == []


def test_a_split_part_is_judged_in_its_own_category() -> None:
    history = _history(date(2026, 1, 1), ["40.00", "50.00", "60.00", "40.00", "60.00"])
    split = uuid4()
    parts = [
        _line(date(2026, 3, 1), "-45.00", GROCERIES, transaction_id=split),
        _line(date(2026, 3, 1), "-900.00", RENT, transaction_id=split),
    ]
    result = anomalies.find_anomalies(
        [*history, *parts], _euros(), date(2026, 3, 1), date(2026, 3, 31), Decimal(3), NAMES
    )
    assert result.data == []  # 45 is ordinary groceries; rent has no history


def test_a_history_of_identical_amounts_flags_nothing() -> None:
    same = _history(date(2026, 1, 1), ["40.00"] * 6)
    big = _line(date(2026, 3, 1), "-400.00")
    result = anomalies.find_anomalies(
        [*same, big], _euros(), date(2026, 3, 1), date(2026, 3, 31), Decimal(3), NAMES
    )
    assert result.data == []
