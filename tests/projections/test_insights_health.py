"""The financial health score on hand-built rows, without a database: exact scores."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from projections.insights import health, recurring
from projections.insights.model import (
    AccountBalance,
    BudgetPeriod,
    HealthScore,
    Line,
    Occurrence,
)
from projections.ledger import view as ledger_view

WORKSPACE, CHECKING = uuid4(), uuid4()
STREAMING, SPORT = uuid4(), uuid4()
AS_OF = date(2026, 3, 15)  # the window: September 2025 to February 2026
MONTHS = [*(date(2025, month, 1) for month in (9, 10, 11, 12)), date(2026, 1, 1), date(2026, 2, 1)]


def _line(day: date, amount: str, transfer: bool = False, currency: str = "EUR") -> Line:
    return Line(
        transaction_id=uuid4(),
        date=day,
        amount=Decimal(amount),
        currency=currency,
        category_id=None,
        merchant=None,
        description="line",
        transfer=transfer,
        investment=False,
    )


def _balance(kind: str, amount: str, day: date = AS_OF) -> AccountBalance:
    return AccountBalance(
        account_id=uuid4(), type=kind, currency="EUR", day=day, balance=Decimal(amount)
    )


def _period(end: date, limit: str, spent: str) -> BudgetPeriod:
    return BudgetPeriod(
        budget_id=uuid4(),
        name="Food",
        start=end.replace(day=1),
        end=end,
        limit=Decimal(limit),
        spent=Decimal(spent),
    )


def _monthly(
    merchant: str, first: date, count: int, amount: str, category: UUID
) -> list[Occurrence]:
    return [
        Occurrence(
            transaction_id=uuid4(),
            account_id=CHECKING,
            date=recurring.add_periods(first, recurring.CADENCES[2], n),
            amount=Decimal(amount),
            currency="EUR",
            category_id=category,
            merchant=merchant,
            description=merchant,
        )
        for n in range(count)
    ]


def _data(
    lines: list[Line] | None = None,
    balances: list[AccountBalance] | None = None,
    periods: list[BudgetPeriod] | None = None,
    occurrences: list[Occurrence] | None = None,
) -> health.HealthData:
    return health.HealthData(
        lines=lines or [],
        grouped=recurring.grouped(occurrences or []),
        balances=balances or [],
        budget_periods=periods or [],
        conversion=ledger_view.Conversion(ledger_view.Rates([]), "EUR"),
        workspace_id=WORKSPACE,
    )


def _scores(score: HealthScore) -> dict[str, str]:
    return {d.name: d.score for d in score.dimensions}


def _household() -> health.HealthData:
    lines = []
    for month in MONTHS:
        lines += [_line(month, "2000.00"), _line(month.replace(day=5), "-1500.00")]
    lines.append(_line(date(2026, 3, 2), "-9999.00"))  # this month is not complete yet
    return _data(
        lines=lines,
        balances=[
            _balance("CHECKING", "4500.00"),
            _balance("SAVINGS", "3000.00"),
            _balance("INVESTMENT", "9000.00"),
            _balance("CREDIT_CARD", "-825.00"),
            _balance("CHECKING", "100000.00", date(2026, 2, 28)),  # another day's balance
        ],
        periods=[
            _period(date(2025, 12, 31), "400", "380"),
            _period(date(2026, 1, 31), "400", "400"),
            _period(date(2026, 2, 28), "400", "400.01"),
            _period(date(2025, 11, 30), "400", "900"),  # before the last 3 complete months
            _period(date(2026, 3, 31), "400", "900"),  # not ended
        ],
        occurrences=_monthly("Netflix", date(2025, 6, 3), 10, "-15.99", STREAMING)
        + _monthly("Spotify", date(2025, 6, 4), 10, "-9.99", STREAMING)
        + _monthly("Gym", date(2025, 4, 10), 10, "-30.00", SPORT),  # last paid 10 January
    )


def test_a_household_scores_each_dimension_by_its_formula() -> None:
    score = health.health_score(_household(), AS_OF)

    assert _scores(score) == {
        "savings_consistency": "20.00",  # 6 of 6 months saved, 25 % >= 20 %
        "debt_ratio": "19.00",  # 20 * (1 - 825 / 16500)
        "spending_discipline": "13.33",  # 20 * 2 / 3 periods within
        "emergency_funds": "16.67",  # 20 * 7500 / (6 * 1500)
        "investments": "5.00",  # 10 * 9000 / (12 * 1500)
        "subscription_management": "3.33",  # 10 * (1 - 2 / 3): Gym late, Spotify a duplicate
    }
    assert score.score == "77.33"
    assert [d.max for d in score.dimensions] == [20, 20, 20, 20, 10, 10]
    emergency = score.dimensions[3]
    assert emergency.inputs == {
        "balance": "7500.00",
        "average_monthly_expenses": "1500.00",
        "target": "9000.00",
        "months_covered": "5.00",
    }
    assert score.dimensions[5].inputs == {
        "recurring_expenses": "3",
        "late": "1",
        "duplicated_in_category": "1",
    }


def test_improvements_start_with_the_weakest_share_and_leave_out_full_dimensions() -> None:
    score = health.health_score(_household(), AS_OF)

    assert [i.split(":")[0].split(" ")[0] for i in score.improvements] == [
        "Review",  # subscriptions 3.33 / 10
        "Add",  # investments 5 / 10 (the advice names the accounts)
        "Keep",  # budgets 13.33 / 20
        "Add",  # emergency funds 16.67 / 20
        "Pay",  # debt 19 / 20
    ]
    assert "investment accounts" in score.improvements[1]
    assert "Add 1500.00 to checking, savings and cash" in score.improvements[3]
    assert "weakest in subscription_management" in score.explanation


def test_saving_in_four_of_six_months_at_ten_percent_scores_a_third() -> None:
    lines = []
    for n, month in enumerate(MONTHS):
        lines += [_line(month, "1000"), _line(month, "-700" if n < 4 else "-1300")]

    score = health.health_score(_data(lines=lines), AS_OF)

    savings = score.dimensions[0]
    assert savings.score == "6.67"  # 20 * 4 / 6 * (10 % / 20 %)
    assert savings.inputs["savings_rate"] == "10.00"
    assert savings.inputs["months_with_savings"] == "4"


def test_only_months_from_the_first_with_a_transaction_count() -> None:
    lines = [_line(date(2026, 1, 1), "1000"), _line(date(2026, 2, 3), "-600")]

    score = health.health_score(_data(lines=lines), AS_OF)

    assert score.dimensions[0].inputs["months_counted"] == "2"
    assert score.dimensions[0].score == "10.00"  # 20 * 1 / 2 (January saved) * 1 (40 %)


def test_debt_without_assets_is_set_against_a_years_income() -> None:
    lines = [_line(month, "1000") for month in MONTHS]

    score = health.health_score(_data(lines, [_balance("LOAN", "-1000")]), AS_OF)

    assert score.dimensions[1].score == "18.33"  # 20 * (1 - 1000 / 12000)


def test_only_income_without_accounts_or_budgets_never_divides_by_zero() -> None:
    score = health.health_score(_data(lines=[_line(m, "1000") for m in MONTHS]), AS_OF)

    assert _scores(score) == {
        "savings_consistency": "20.00",
        "debt_ratio": "20.00",
        "spending_discipline": "10.00",  # neutral without budgets
        "emergency_funds": "0.00",
        "investments": "0.00",
        "subscription_management": "10.00",
    }
    assert "neutral 10" in score.dimensions[2].reason
    assert score.score == "60.00"


def test_an_empty_workspace_scores_zero_with_every_reason_saying_there_is_no_data() -> None:
    score = health.health_score(_data(), AS_OF)

    assert score.score == "0.00"
    assert all(d.score == "0.00" for d in score.dimensions)
    assert all(d.reason.startswith("No data yet") for d in score.dimensions)
    assert all(
        value in ("0", "0.00", "2025-12-01", "2026-02-28")
        for d in score.dimensions
        for value in d.inputs.values()
    )
    assert score.improvements == ["Add your accounts and record your income and spending."]


def test_history_scores_each_month_end_from_what_was_dated_before_it() -> None:
    data = _data(lines=[_line(date(2026, 2, 1), "1000"), _line(date(2026, 2, 2), "-500")])

    history = health.health_history(data, [date(2026, 1, 31), date(2026, 2, 28)])

    assert [(p.month, p.score) for p in history.data] == [("2026-01", "0.00"), ("2026-02", "60.00")]
    assert history.data[1].dimensions["savings_consistency"] == "20.00"


def test_a_month_in_progress_is_left_out_but_a_finished_one_counts() -> None:
    assert health.complete_months(date(2026, 3, 15), 2) == [date(2026, 1, 1), date(2026, 2, 1)]
    assert health.complete_months(date(2026, 3, 31), 2) == [date(2026, 2, 1), date(2026, 3, 1)]
