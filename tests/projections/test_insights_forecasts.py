"""Forecasts on hand-built inputs, without a database: a salary and a rent series placed on
their dates, variable spending spread over every day, scenarios and a purchase's verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import msgspec

from projections.insights import forecasts, recurring
from projections.insights.forecasts import BudgetState, GoalState, Variable
from projections.insights.model import Line, Occurrence, RecurringSeries
from projections.ledger import view as ledger_view
from projections.schedules.model import ScheduleView

WORKSPACE, CHECKING = uuid4(), uuid4()
TODAY = date(2026, 3, 10)


def _occurrence(day: date, amount: str, merchant: str) -> Occurrence:
    return Occurrence(
        transaction_id=uuid4(),
        account_id=CHECKING,
        date=day,
        amount=Decimal(amount),
        currency="EUR",
        category_id=None,
        merchant=merchant,
        description=merchant,
    )


def _line(day: date, amount: str, transfer: bool = False, tid: UUID | None = None) -> Line:
    return Line(
        transaction_id=tid or uuid4(),
        date=day,
        amount=Decimal(amount),
        currency="EUR",
        category_id=None,
        merchant=None,
        description="x",
        transfer=transfer,
        investment=False,
    )


def _conversion() -> ledger_view.Conversion:
    return ledger_view.Conversion(ledger_view.Rates([]), "EUR")


HISTORY = [
    _occurrence(date(2026, 1, 1), "2000.00", "Acme Payroll"),
    _occurrence(date(2025, 12, 15), "-800.00", "Landlord"),
    _occurrence(date(2026, 1, 15), "-800.00", "Landlord"),
    _occurrence(date(2026, 2, 1), "2000.00", "Acme Payroll"),
    _occurrence(date(2026, 2, 15), "-800.00", "Landlord"),
    _occurrence(date(2026, 3, 1), "2000.00", "Acme Payroll"),
    _occurrence(date(2025, 6, 3), "-9.99", "Gym"),  # long stopped: never placed
    _occurrence(date(2025, 7, 3), "-9.99", "Gym"),
    _occurrence(date(2025, 8, 3), "-9.99", "Gym"),
]
SERIES = recurring.find_recurring(sorted(HISTORY, key=lambda o: o.date), WORKSPACE, TODAY, {})
# v = 10 a day, s = 10: days 03-07 … 03-10 spent 20, 0, 20, 0.
VARIABLE = Variable(Decimal(10), Decimal(10), 4)


def test_the_salary_and_rent_series_are_active_and_the_stopped_one_is_found_too() -> None:
    assert {(s.merchant, s.status, s.next_expected_date) for s in SERIES} == {
        ("Acme Payroll", "ACTIVE", date(2026, 4, 1)),
        ("Landlord", "ACTIVE", date(2026, 3, 15)),
        ("Gym", "STOPPED", date(2025, 9, 3)),
    }


def test_series_members_are_the_series_transactions_only() -> None:
    one_off = _occurrence(date(2026, 3, 8), "-55.00", "Bookshop")
    members = forecasts.series_members(recurring.grouped([*HISTORY, one_off]), SERIES, WORKSPACE)
    assert members == {o.transaction_id for o in HISTORY}


def test_variable_spending_leaves_out_members_transfers_and_income_over_the_history_days() -> None:
    rent = uuid4()
    lines = [
        _line(date(2026, 3, 6), "-999.00"),  # before the 4 days of history: not counted
        _line(date(2026, 3, 7), "-20.00"),
        _line(date(2026, 3, 8), "-800.00", tid=rent),  # a series' member
        _line(date(2026, 3, 8), "-500.00", transfer=True),
        _line(date(2026, 3, 8), "50.00"),
        _line(date(2026, 3, 9), "-15.00"),
        _line(date(2026, 3, 9), "-5.00"),
    ]
    found = forecasts.variable_spending(lines, {rent}, _conversion(), TODAY, date(2026, 3, 7))
    assert found == VARIABLE
    assert found.confidence == Decimal("0.04")


def test_variable_spending_without_history_is_zero_with_no_confidence() -> None:
    found = forecasts.variable_spending([], set(), _conversion(), TODAY, None)
    assert found == Variable(Decimal(0), Decimal(0), 0)
    assert found.confidence == Decimal("0.00")


def test_balance_forecast_places_rent_and_salary_and_spreads_variable_spending() -> None:
    found = forecasts.balance_forecast(
        Decimal("1000.00"), SERIES, VARIABLE, _conversion(), TODAY, 30
    )
    assert [(i.date, i.amount, i.label) for i in found.known_items] == [
        (date(2026, 3, 15), "-800.00", "Landlord"),
        (date(2026, 4, 1), "2000.00", "Acme Payroll"),
    ]
    assert found.current_balance == "1000.00"
    assert found.predicted_balance == "1900.00"  # 1000 - 800 + 2000 - 30 * 10
    assert len(found.points) == 30
    first, fourth, fifth = found.points[0], found.points[3], found.points[4]
    assert (first.date, first.balance, first.low, first.high) == (
        date(2026, 3, 11),
        "990.00",
        "977.20",
        "1002.80",
    )  # ± 1.28 * 10 * √1
    assert (fourth.balance, fourth.low, fourth.high) == ("960.00", "934.40", "985.60")
    # 1000 - 800 - 50, ± 1.28 * 10 * √5 = 28.62
    assert (fifth.date, fifth.balance, fifth.low, fifth.high) == (
        date(2026, 3, 15),
        "150.00",
        "121.38",
        "178.62",
    )
    assert (found.band_k, found.confidence, found.history_days) == ("1.28", "0.04", 4)


def test_an_empty_workspace_forecasts_zeros_with_no_confidence() -> None:
    found = forecasts.balance_forecast(
        Decimal(0), [], Variable(Decimal(0), Decimal(0), 0), _conversion(), TODAY, 3
    )
    assert [(p.balance, p.low, p.high) for p in found.points] == [("0.00", "0.00", "0.00")] * 3
    assert (found.predicted_balance, found.confidence, found.known_items) == ("0.00", "0.00", [])


def test_a_series_due_today_and_not_yet_seen_counts_tomorrow() -> None:
    late = forecasts.known_items(SERIES, _conversion(), date(2026, 3, 15), date(2026, 3, 20))
    assert [(i.date, i.amount) for i in late] == [(date(2026, 3, 16), Decimal("-800.00"))]


def test_scenarios_scale_variable_spending_and_income_at_each_month_end() -> None:
    found = forecasts.scenarios(Decimal("1000.00"), SERIES, VARIABLE, _conversion(), TODAY, 2)
    assert [(m.month, m.date, m.conservative, m.expected, m.optimistic) for m in found.data] == [
        # 21 days: 1000 - 800 - 210 (x 1.2, x 0.8)
        ("2026-03", date(2026, 3, 31), "-52.00", "-10.00", "32.00"),
        # 51 days: 1000 - 800 + 2000 (x 0.9) - 800 - 510 (x 1.2, x 0.8)
        ("2026-04", date(2026, 4, 30), "588.00", "890.00", "992.00"),
    ]
    assert "conservative: variable spending x 1.2 and recurring income x 0.9" in found.assumptions


def test_future_gives_each_months_income_expenses_and_balance() -> None:
    found = forecasts.future(Decimal("1000.00"), SERIES, VARIABLE, _conversion(), TODAY, 2)
    rows = [
        (m.month, m.income, m.known_expenses, m.variable_expenses, m.net, m.balance)
        for m in found.data
    ]
    assert rows == [
        ("2026-03", "0.00", "800.00", "210.00", "-1010.00", "-10.00"),
        ("2026-04", "2000.00", "800.00", "300.00", "900.00", "890.00"),
    ]


def _simulate(amount: str, count: int = 1, day: date = TODAY, budgets=(), goals=()):  # type: ignore[no-untyped-def]
    return forecasts.simulate_purchase(
        Decimal("5000.00"),
        SERIES,
        VARIABLE,
        _conversion(),
        TODAY,
        Decimal(amount),
        day,
        count,
        budgets,
        goals,
    )


def test_a_small_purchase_is_affordable() -> None:
    found = _simulate("300.00")
    assert (found.balance_today_without, found.balance_today_with) == ("5000.00", "4700.00")
    assert (found.projected_without, found.projected_with) == ("5900.00", "5600.00")
    # The lowest point is the day before the salary: 5000 - 300 - 800 - 21 * 10.
    assert (found.lowest_balance, found.lowest_balance_date) == ("3690.00", date(2026, 3, 31))
    assert found.verdict == "AFFORDABLE"


def test_a_purchase_leaving_less_than_a_month_of_expenses_is_tight() -> None:
    found = _simulate("3000.00")  # lowest 990, a month is 30 * 10 + the 800 rent
    assert (found.lowest_balance, found.verdict) == ("990.00", "TIGHT")
    assert found.reasons == [
        "the lowest balance, 990.00 EUR, is below one month of expenses (1100.00 EUR)"
    ]


def test_a_purchase_that_overdraws_is_not_advised() -> None:
    found = _simulate("4500.00")
    assert (found.lowest_balance, found.lowest_balance_date) == ("-510.00", date(2026, 3, 31))
    assert found.verdict == "NOT_ADVISED"


def test_installments_split_the_amount_monthly_and_only_the_first_falls_in_30_days() -> None:
    found = _simulate("300.00", count=3, day=date(2026, 3, 20))
    assert [(i.date, i.amount) for i in found.installments] == [
        (date(2026, 3, 20), "-100.00"),
        (date(2026, 4, 20), "-100.00"),
        (date(2026, 5, 20), "-100.00"),
    ]
    assert (found.balance_today_with, found.projected_with) == ("5000.00", "5800.00")


def test_installments_put_the_rounding_rest_on_the_last_one() -> None:
    paid = forecasts.installments(Decimal("100.00"), TODAY, 3, "EUR")
    assert [p.amount for p in paid] == [Decimal("-33.33"), Decimal("-33.33"), Decimal("-33.34")]


def test_a_purchase_pushing_a_budget_over_is_tight_and_a_goal_is_delayed() -> None:
    budget, other, goal = uuid4(), uuid4(), uuid4()
    found = _simulate(
        "300.00",
        count=3,
        budgets=[
            BudgetState(budget, "Fun", Decimal(500), Decimal(450)),
            BudgetState(other, "Food", Decimal(500), Decimal(100)),
        ],
        goals=[
            GoalState(goal, "Car", Decimal(1000), Decimal(200)),
            GoalState(uuid4(), "Idle", Decimal(1000), Decimal(0)),
        ],
    )
    assert [(b.budget_id, b.percent_after) for b in found.budgets_exceeded] == [(budget, "110.0")]
    # 300 * 30.436875 / 200 = 45.66 days, rounded up
    assert [(g.goal_id, g.days) for g in found.goals_delayed] == [(goal, 46)]
    assert found.verdict == "TIGHT"
    assert found.reasons == [
        "it pushes the budget Fun to 110.0 %",
        "it delays the goal Car by 46 days",
    ]


def _schedule(amount: str, next_date: date, **fields: Any) -> ScheduleView:
    values: dict[str, Any] = {
        "id": uuid4(),
        "workspace_id": WORKSPACE,
        "name": "Rent",
        "account_id": CHECKING,
        "amount": amount,
        "currency": "EUR",
        "category": None,
        "merchant": None,
        "cadence": "MONTHLY",
        "next_date": next_date,
        "end_date": None,
        "auto_post": False,
        "from_recurring": None,
        "version": 1,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    return ScheduleView(**values)


def _rent() -> RecurringSeries:
    return next(s for s in SERIES if s.merchant == "Landlord")


def test_a_schedule_made_from_a_series_is_placed_once_for_the_schedule() -> None:
    rent = _schedule("-810.00", date(2026, 2, 15), from_recurring=_rent().id)
    items = forecasts.known_items(SERIES, _conversion(), TODAY, date(2026, 4, 20), [rent])
    assert [(i.date, i.amount, i.label, i.source) for i in items] == [
        (date(2026, 3, 15), Decimal("-810.00"), "Rent", "SCHEDULE"),
        (date(2026, 4, 1), Decimal("2000.00"), "Acme Payroll", "RECURRING"),
        (date(2026, 4, 15), Decimal("-810.00"), "Rent", "SCHEDULE"),
    ]


def test_a_schedule_matching_a_series_within_5_percent_covers_it_and_one_beyond_does_not() -> None:
    near = _schedule("-840.00", date(2026, 3, 14))  # 800 is within 5 % of 840
    far = _schedule("-845.00", date(2026, 3, 14))  # 800 is 5.3 % off 845
    weekly = _schedule("-800.00", date(2026, 3, 14), cadence="WEEKLY")
    assert forecasts.covers(near, _rent())
    assert not forecasts.covers(far, _rent())
    assert not forecasts.covers(weekly, _rent())
    assert not forecasts.covers(_schedule("800.00", date(2026, 3, 14)), _rent())  # an income
    other_account = msgspec.structs.replace(_rent(), account_id=uuid4())
    assert not forecasts.covers(near, other_account)


def test_a_schedule_without_a_series_is_placed_on_its_dates_up_to_its_end() -> None:
    gym = _schedule("-30.00", date(2026, 1, 20), name="Gym", end_date=date(2026, 4, 20))
    found = forecasts.balance_forecast(
        Decimal("1000.00"), [], VARIABLE, _conversion(), TODAY, 60, [gym]
    )
    assert [(i.date, i.amount, i.source) for i in found.known_items] == [
        (date(2026, 3, 20), "-30.00", "SCHEDULE"),
        (date(2026, 4, 20), "-30.00", "SCHEDULE"),
    ]
    assert found.predicted_balance == "340.00"  # 1000 - 60 - 60 * 10
