"""The overview's cards and the briefing on hand-built rows, without a database: exact figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from projections.insights import briefing, overview
from projections.insights.model import AccountBalance, BudgetPeriod, Line, RecurringSeries
from projections.ledger import view as ledger_view

TODAY = date(2026, 3, 18)  # a Wednesday
DAY_BEFORE_MONTH = date(2026, 2, 28)


def _conversion() -> ledger_view.Conversion:
    return ledger_view.Conversion(ledger_view.Rates([]), "EUR")


def _line(
    day: date, amount: str, transaction_id: UUID | None = None, transfer: bool = False
) -> Line:
    return Line(
        transaction_id=transaction_id or uuid4(),
        date=day,
        amount=Decimal(amount),
        currency="EUR",
        category_id=None,
        merchant=None,
        description=f"{day} {amount}",
        transfer=transfer,
        investment=False,
    )


def _balance(kind: str, amount: str, day: date) -> AccountBalance:
    return AccountBalance(
        account_id=uuid4(), type=kind, currency="EUR", day=day, balance=Decimal(amount)
    )


def _budget(limit: str, spent: str, end: date) -> overview.CurrentBudget:
    period = BudgetPeriod(
        budget_id=uuid4(),
        name="Food",
        start=end.replace(day=1),
        end=end,
        limit=Decimal(limit),
        spent=Decimal(spent),
    )
    return overview.CurrentBudget(period=period, currency="EUR")


def _series(
    next_date: date, amount: str, kind: str = "expense", status: str = "ACTIVE"
) -> RecurringSeries:
    return RecurringSeries(
        id=uuid4(),
        merchant="Power Co",
        type=kind,
        category_id=None,
        category=None,
        account_id=uuid4(),
        currency="EUR",
        cadence="MONTHLY",
        typical_amount=amount,
        min_amount=amount,
        max_amount=amount,
        occurrences=6,
        first_date=date(2025, 9, 20),
        last_date=date(2026, 2, 20),
        next_expected_date=next_date,
        annual_cost="0.00",
        confidence="0.90",
        status=status,
        price_change=None,
    )


@pytest.mark.parametrize(
    ("timeframe", "start"),
    [
        ("today", TODAY),
        ("this-week", date(2026, 3, 16)),
        ("this-month", date(2026, 3, 1)),
        ("this-year", date(2026, 1, 1)),
        ("all-time", date(2025, 6, 7)),
    ],
)
def test_each_timeframe_starts_on_its_first_day_and_ends_today(timeframe: str, start: date) -> None:
    assert overview.timeframe_start(TODAY, timeframe, "MONDAY", date(2025, 6, 7)) == start


def test_a_week_starting_on_sunday_and_an_empty_all_time_start_where_they_should() -> None:
    assert overview.timeframe_start(TODAY, "this-week", "SUNDAY", None) == date(2026, 3, 15)
    assert overview.timeframe_start(TODAY, "all-time", "MONDAY", None) == TODAY


def test_trend_is_flat_under_one_percent_of_the_previous_net_worth() -> None:
    assert overview.trend(Decimal("9.99"), Decimal("1000")) == "FLAT"
    assert overview.trend(Decimal("10.00"), Decimal("1000")) == "UP"
    assert overview.trend(Decimal("-10.00"), Decimal("1000")) == "DOWN"
    assert overview.trend(Decimal("0"), Decimal("0")) == "FLAT"
    assert overview.trend(Decimal("0.01"), Decimal("0")) == "UP"


def test_the_month_overview_gives_every_card_its_exact_figures() -> None:
    split = uuid4()
    lines = [
        *(_line(date(2026, m, 1), "3000.00") for m in (1, 2)),  # December had none: 2000 avg
        _line(date(2026, 3, 1), "2500.00"),
        _line(date(2026, 3, 5), "-400.00"),
        _line(date(2026, 3, 6), "-60.00", split),
        _line(date(2026, 3, 6), "-40.00", split),
        _line(date(2026, 3, 7), "-500.00", transfer=True),
        _line(date(2026, 3, 10), "-100.00"),
        _line(date(2026, 3, 12), "-50.00"),
        _line(date(2026, 3, 19), "-999.00"),  # after today
    ]
    balances = [
        _balance("CHECKING", "5000.00", DAY_BEFORE_MONTH),
        _balance("CREDIT_CARD", "-1000.00", DAY_BEFORE_MONTH),
        _balance("CHECKING", "6100.00", TODAY),
        _balance("CREDIT_CARD", "-900.00", TODAY),
    ]
    data = overview.OverviewData(
        lines=lines,
        balances=balances,
        budgets=[
            _budget("500", "300", date(2026, 3, 31)),
            _budget("300", "250", date(2026, 3, 22)),
        ],
        health_score="61.50",
        open_risk_flags=2,
        conversion=_conversion(),
    )
    found = overview.overview(data, "this-month", date(2026, 3, 1), TODAY)
    assert (found.net_worth.current, found.net_worth.previous) == ("5200.00", "4000.00")
    assert (found.net_worth.change, found.net_worth.percent, found.net_worth.trend) == (
        "1200.00",
        "30.00",
        "UP",
    )
    spending = found.spending
    assert (spending.amount, spending.budgeted, spending.percent_used) == (
        "550.00",
        "800.00",
        "68.75",
    )
    assert spending.days_remaining == 4
    income = found.income
    assert (income.amount, income.three_month_average) == ("2500.00", "2000.00")
    assert (income.change, income.percent) == ("500.00", "25.00")
    assert (found.cash_flow, found.savings_rate) == ("1850.00", "74.00")
    assert (found.health_score, found.open_risk_flags) == ("61.50", 2)
    recent = [(t.date, t.amount) for t in found.recent_transactions]
    assert recent == [
        (date(2026, 3, 12), "-50.00"),
        (date(2026, 3, 10), "-100.00"),
        (date(2026, 3, 7), "-500.00"),
        (date(2026, 3, 6), "-100.00"),
        (date(2026, 3, 5), "-400.00"),
    ]


def test_an_empty_workspace_has_zero_cards_and_no_percent() -> None:
    data = overview.OverviewData(
        lines=[], balances=[], budgets=[], health_score="0.00", open_risk_flags=0,
        conversion=_conversion(),
    )  # fmt: skip
    found = overview.overview(data, "all-time", TODAY, TODAY)
    assert (found.net_worth.current, found.net_worth.trend) == ("0.00", "FLAT")
    assert (found.net_worth.percent, found.spending.percent_used) == (None, None)
    assert (found.spending.days_remaining, found.income.percent) == (None, None)
    assert (found.cash_flow, found.savings_rate, found.recent_transactions) == ("0.00", None, [])


def test_the_briefing_fills_every_sentence_from_its_metrics() -> None:
    data = briefing.BriefingData(
        lines=[_line(date(2026, 2, 27), "-80.00"), _line(date(2026, 3, 2), "-120.00"),
               _line(date(2026, 3, 9), "-80.00")],
        balances=[_balance("CHECKING", "1500.00", TODAY), _balance("SAVINGS", "700.50", TODAY),
                  _balance("INVESTMENT", "9000.00", TODAY)],
        budgets=[_budget("400", "200", date(2026, 3, 31))],
        series=[_series(TODAY + timedelta(days=3), "45.00"),
                _series(TODAY + timedelta(days=7), "15.50", status="LATE"),
                _series(TODAY + timedelta(days=8), "99.00"),
                _series(TODAY + timedelta(days=2), "2000.00", kind="income"),
                _series(TODAY, "10.00")],
        open_risk_flags=1,
        anomalies=3,
        conversion=_conversion(),
    )  # fmt: skip
    found = briefing.briefing(data, TODAY)
    m = found.metrics
    assert (m.liquid_balance, m.month_to_date_spending) == ("2200.50", "200.00")
    assert (m.month_budget, m.budget_used_percent) == ("400.00", "50.00")
    assert (m.upcoming_bills, m.upcoming_bills_amount) == (2, "60.50")
    assert found.sentences == [
        "You have 2200.50 EUR across your checking, savings and cash accounts.",
        "You have spent 200.00 EUR this month, 50.00 % of your 400.00 EUR budget.",
        "2 bills totalling 60.50 EUR due in the next 7 days.",
        "1 flagged transaction to review.",
    ]
    assert found.text == " ".join(found.sentences)


def test_the_briefing_without_budget_bills_or_flags_names_anomalies_or_stops() -> None:
    data = briefing.BriefingData(
        lines=[], balances=[], budgets=[], series=[], open_risk_flags=0, anomalies=2,
        conversion=_conversion(),
    )  # fmt: skip
    assert briefing.briefing(data, TODAY).sentences == [
        "You have 0.00 EUR across your checking, savings and cash accounts.",
        "You have spent 0.00 EUR this month.",
        "No bills due in the next 7 days.",
        "2 unusual expenses this month.",
    ]
    data.anomalies = 0
    assert len(briefing.briefing(data, TODAY).sentences) == 3
