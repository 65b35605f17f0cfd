"""The financial health score: six dimensions worked out from plain rows as of a day.

Everything is as of a day ``D`` (today, or a month's last day for the history) and uses only
what is dated on or before it. The **window** is the 6 latest complete months (a month is
complete when its last day is on or before ``D``); the months *counted* are those from the
first window month holding a transaction (``n`` of them, 0 without any), so a workspace started
two months ago is not judged on four empty ones. Sums are ``stats.Sums`` in the base currency:

    income, expenses, net      Σ over the counted months
    savings rate               s = net / income (0 without income)
    average monthly expenses   e = expenses / n
    liquid    L = Σ balances on D of CHECKING, SAVINGS and CASH accounts
    invested  I = Σ balances on D of INVESTMENT accounts
    assets    A = Σ balances on D of the accounts that are not liabilities
    debt      B = Σ -balance on D of CREDIT_CARD, LOAN and LIABILITY accounts

The dimensions (each rounded to two decimals; the score is their sum, 0 to 100):

    savings_consistency      20 * (months counted with net > 0) / n * min(1, max(0, s) / 20 %)
    debt_ratio               20 * (1 - min(1, B / A))   (A ≤ 0: B / (income * 12 / n));
                             20 without debt, 0 with debt and neither assets nor income
    spending_discipline      20 * (budget periods within their limit) / (budget periods) over
                             the active budgets' periods ending in the window's last 3 months;
                             a neutral 10 without such a period
    emergency_funds          20 * min(1, max(0, L) / (6 * e))   (e = 0: 20 when L > 0, else 0)
    investments              10 * min(1, max(0, I) / (12 * e))  (e = 0: 10 when I > 0, else 0)
    subscription_management  10 * (1 - flagged / series) over the recurring expense series that
                             are ACTIVE or LATE on D (``recurring.find_recurring``, 3 years back):
                             flagged are the LATE ones and, in a category holding several, all
                             but the most confident; 10 without a series

A workspace with no counted month and no account has no data: every dimension is 0 and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from domain.money import in_minor_units, money_text
from projections.insights import recurring, stats
from projections.insights.model import (
    AccountBalance,
    BudgetPeriod,
    HealthDimension,
    HealthHistory,
    HealthPoint,
    HealthScore,
    Line,
)
from projections.ledger import view as ledger_view

WINDOW_MONTHS = 6
BUDGET_MONTHS = 3
TARGET_SAVINGS_RATE = Decimal("0.20")
EMERGENCY_MONTHS = 6
INVESTMENT_MONTHS = 12
NEUTRAL_DISCIPLINE = Decimal(10)
LIQUID = ("CHECKING", "SAVINGS", "CASH")
LIABILITIES = ("CREDIT_CARD", "LOAN", "LIABILITY")
CENTS = stats.CENTS
ZERO = Decimal(0)


@dataclass
class HealthData:
    """What the score is worked out from: lines (or their day totals, ``rows.day_totals``:
    only the months' sums are read) and occurrences up to the last day asked about, grouped
    for recurring series (``recurring.grouped``, ``rows.series_parts``), account balances on
    each day asked about, the budgets' finished periods."""

    lines: list[Line]
    grouped: recurring.Grouped
    balances: list[AccountBalance]
    budget_periods: list[BudgetPeriod]
    conversion: ledger_view.Conversion
    workspace_id: UUID
    names: dict[UUID, str] = field(default_factory=dict)
    month_sums: dict[date, stats.Sums] | None = None


@dataclass
class _Dimension:
    name: str
    maximum: int
    score: Decimal
    inputs: dict[str, str]
    reason: str
    advice: str

    def view(self) -> HealthDimension:
        return HealthDimension(
            name=self.name,
            score=_two(self.score),
            max=self.maximum,
            inputs=self.inputs,
            reason=self.reason,
        )


@dataclass
class _Window:
    """The as-of figures every dimension shares."""

    months: list[date]  # the counted months' first days
    income: Decimal
    expenses: Decimal
    positive: int
    average_expenses: Decimal
    liquid: Decimal
    invested: Decimal
    assets: Decimal
    debt: Decimal
    accounts: int


def _two(value: Decimal) -> str:
    return f"{value.quantize(CENTS, ROUND_HALF_EVEN):f}"


def complete_months(as_of: date, count: int) -> list[date]:
    """The first days of the ``count`` latest months ending on or before ``as_of``, oldest
    first."""
    this_month = as_of.replace(day=1)
    last = this_month if stats.month_end(this_month) <= as_of else stats.previous_month(this_month)
    return stats.last_months(last, count)


def _window(data: HealthData, as_of: date) -> _Window:
    conversion, base = data.conversion, data.conversion.base
    months = complete_months(as_of, WINDOW_MONTHS)
    if data.month_sums is None:  # the same for every day asked about: worked out once
        data.month_sums = stats.month_sums(data.lines, conversion)
    sums = [data.month_sums.get(m) or stats.Sums(conversion) for m in months]
    first = next((i for i, s in enumerate(sums) if s.transactions), len(sums))
    months, sums = months[first:], sums[first:]
    income = in_minor_units(sum((s.income.total for s in sums), ZERO), base)
    expenses = in_minor_units(sum((s.expenses.total for s in sums), ZERO), base)
    average = ledger_view.round_money(expenses / len(months), base) if months else ZERO
    liquid, invested = ledger_view.BaseTotal(conversion), ledger_view.BaseTotal(conversion)
    assets, debt = ledger_view.BaseTotal(conversion), ledger_view.BaseTotal(conversion)
    accounts = 0
    for row in data.balances:
        if row.day != as_of:
            continue
        accounts += 1
        if row.type in LIABILITIES:
            debt.add(-row.balance, row.currency, as_of)
            continue
        assets.add(row.balance, row.currency, as_of)
        if row.type in LIQUID:
            liquid.add(row.balance, row.currency, as_of)
        elif row.type == "INVESTMENT":
            invested.add(row.balance, row.currency, as_of)
    return _Window(
        months=months,
        income=income,
        expenses=expenses,
        positive=sum(1 for s in sums if s.net > 0),
        average_expenses=average,
        liquid=liquid.total,
        invested=invested.total,
        assets=assets.total,
        debt=max(ZERO, debt.total),
        accounts=accounts,
    )


def savings_consistency(window: _Window, base: str) -> _Dimension:
    """``20 * positive / n * min(1, max(0, s) / 20 %)``, ``s = net / income``."""
    n = len(window.months)
    net = window.income - window.expenses
    rate = net / window.income if window.income > 0 else ZERO
    inputs = {
        "months_counted": str(n),
        "months_with_savings": str(window.positive),
        "income": money_text(window.income, base),
        "expenses": money_text(window.expenses, base),
        "savings_rate": _two(rate * 100),
    }
    advice = (
        "Spend less than you earn every month and aim to save 20 % of your income "
        f"(you saved in {window.positive} of {n} months, {_two(rate * 100)} % overall)."
    )
    if n == 0:
        return _Dimension(
            "savings_consistency",
            20,
            ZERO,
            inputs,
            "No income or spending in the last 6 complete months: no data to judge savings.",
            "Record your income and spending to see how consistently you save.",
        )
    factor = min(Decimal(1), max(ZERO, rate) / TARGET_SAVINGS_RATE)
    score = 20 * Decimal(window.positive) / n * factor
    reason = (
        f"You saved in {window.positive} of the last {n} complete months, "
        f"{_two(rate * 100)} % of your income overall (20 % or more counts fully)."
    )
    return _Dimension("savings_consistency", 20, score, inputs, reason, advice)


def debt_ratio(window: _Window, base: str) -> _Dimension:
    """``20 * (1 - min(1, B / A))``, or ``B / yearly income`` when ``A ≤ 0``."""
    n = len(window.months)
    yearly = window.income * 12 / n if n else ZERO
    against, what = (
        (window.assets, "your assets") if window.assets > 0 else (yearly, "a year's income")
    )
    inputs = {
        "liabilities": money_text(window.debt, base),
        "assets": money_text(window.assets, base),
        "yearly_income": money_text(ledger_view.round_money(yearly, base), base),
    }
    if window.debt <= 0:
        if window.accounts == 0 and n == 0:
            return _Dimension(
                "debt_ratio", 20, ZERO, inputs, "No accounts: no data to judge debt.", ""
            )
        return _Dimension("debt_ratio", 20, Decimal(20), inputs, "You owe nothing.", "")
    if against <= 0:
        return _Dimension(
            "debt_ratio",
            20,
            ZERO,
            inputs,
            "You owe money with neither assets nor income to set against it.",
            "Pay down your debt, starting with the most expensive.",
        )
    ratio = window.debt / against
    inputs["debt_ratio"] = _two(ratio * 100)
    score = 20 * (1 - min(Decimal(1), ratio))
    return _Dimension(
        "debt_ratio",
        20,
        score,
        inputs,
        f"What you owe is {_two(ratio * 100)} % of {what}.",
        f"Pay down your debt: it is {_two(ratio * 100)} % of {what}; less is better.",
    )


def spending_discipline(periods: Sequence[BudgetPeriod], as_of: date) -> _Dimension:
    """``20 * within / periods`` over the budget periods ending in the last 3 complete
    months; a neutral 10 without any."""
    months = complete_months(as_of, BUDGET_MONTHS)
    start, end = months[0], stats.month_end(months[-1])
    ended = [p for p in periods if start <= p.end <= end]
    within = sum(1 for p in ended if p.spent <= p.limit)
    inputs = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "budget_periods": str(len(ended)),
        "within_limit": str(within),
    }
    if not ended:
        return _Dimension(
            "spending_discipline",
            20,
            NEUTRAL_DISCIPLINE,
            inputs,
            "No budget period ended in the last 3 complete months: a neutral 10 of 20.",
            "Set budgets for your main categories and keep each period within its limit.",
        )
    over = len(ended) - within
    return _Dimension(
        "spending_discipline",
        20,
        20 * Decimal(within) / len(ended),
        inputs,
        f"{within} of {len(ended)} budget periods ending in the last 3 complete months "
        "stayed within their limit.",
        f"Keep budgets within their limits: {over} of {len(ended)} recent periods went over.",
    )


def _coverage(
    name: str, maximum: int, have: Decimal, months: int, window: _Window, base: str, what: str
) -> _Dimension:
    """``maximum * min(1, max(0, have) / (months * e))``."""
    average = window.average_expenses
    target = average * months
    inputs = {
        "balance": money_text(have, base),
        "average_monthly_expenses": money_text(average, base),
        "target": money_text(target, base),
        "months_covered": _two(have / average) if average > 0 else "",
    }
    if not inputs["months_covered"]:
        del inputs["months_covered"]
    if average <= 0:
        score = Decimal(maximum) if have > 0 else ZERO
        reason = (
            f"No spending in the last 6 complete months to measure {what} against."
            if have <= 0
            else f"You hold {money_text(have, base)} in {what} and spent nothing."
        )
    else:
        score = maximum * min(Decimal(1), max(ZERO, have) / target)
        reason = (
            f"{what.capitalize()} hold {_two(max(ZERO, have) / average)} months of your average "
            f"expenses; {months} months count fully."
        )
    short = ledger_view.round_money(max(ZERO, target - max(ZERO, have)), base)
    advice = (
        f"Add {money_text(short, base)} to {what} to reach {months} months of expenses."
        if average > 0
        else f"Put money in {what}."
    )
    return _Dimension(name, maximum, score, inputs, reason, advice)


def subscription_management(data: HealthData, as_of: date) -> _Dimension:
    """``10 * (1 - flagged / series)`` over the ACTIVE and LATE recurring expense series."""
    start = as_of - timedelta(days=recurring.HISTORY_DAYS)
    found = recurring.series_in(data.grouped, data.workspace_id, as_of, data.names, start, as_of)
    series = [s for s in found if s.type == "expense" and s.status in ("ACTIVE", "LATE")]
    late = {s.id for s in series if s.status == "LATE"}
    seen: set[UUID] = set()
    duplicates = set()
    for s in series:  # most confident first: it is the one kept
        if s.category_id is not None:
            if s.category_id in seen:
                duplicates.add(s.id)
            seen.add(s.category_id)
    flagged = late | duplicates
    inputs = {
        "recurring_expenses": str(len(series)),
        "late": str(len(late)),
        "duplicated_in_category": str(len(duplicates)),
    }
    if not series:
        return _Dimension(
            "subscription_management",
            10,
            Decimal(10),
            inputs,
            "No active recurring expenses were found, so none needs attention.",
            "",
        )
    return _Dimension(
        "subscription_management",
        10,
        10 * (1 - Decimal(len(flagged)) / len(series)),
        inputs,
        f"{len(flagged)} of {len(series)} recurring expenses need attention "
        f"({len(late)} late, {len(duplicates)} sharing a category with another).",
        "Review your subscriptions: cancel duplicates in one category and check late payments.",
    )


def _dimensions(data: HealthData, as_of: date) -> tuple[list[_Dimension], bool]:
    """The six dimensions, and whether there was any data at all."""
    base = data.conversion.base
    window = _window(data, as_of)
    dimensions = [
        savings_consistency(window, base),
        debt_ratio(window, base),
        spending_discipline(data.budget_periods, as_of),
        _coverage(
            "emergency_funds",
            20,
            window.liquid,
            EMERGENCY_MONTHS,
            window,
            base,
            "checking, savings and cash",
        ),
        _coverage(
            "investments",
            10,
            window.invested,
            INVESTMENT_MONTHS,
            window,
            base,
            "investment accounts",
        ),
        subscription_management(data, as_of),
    ]
    empty = not window.months and window.accounts == 0
    if empty:
        for dimension in dimensions:
            dimension.score = ZERO
            dimension.reason = "No data yet: no account and no transaction in the last 6 months."
            dimension.advice = ""
    for dimension in dimensions:
        dimension.score = dimension.score.quantize(CENTS, ROUND_HALF_EVEN)
    return dimensions, not empty


def health_score(data: HealthData, as_of: date) -> HealthScore:
    """The score as of ``as_of``: each dimension, the explanation and the improvements (every
    dimension short of its maximum, the lowest share of its maximum first)."""
    dimensions, has_data = _dimensions(data, as_of)
    total = sum((d.score for d in dimensions), ZERO)
    weakest = sorted(dimensions, key=lambda d: (d.score / d.maximum, d.name))
    if not has_data:
        explanation = "No data yet: add accounts and record transactions to get a score."
        improvements = ["Add your accounts and record your income and spending."]
    else:
        worst, best = weakest[0], weakest[-1]
        explanation = (
            f"Your financial health score is {_two(total)} of 100: strongest in {best.name} "
            f"({_two(best.score)} of {best.maximum}), weakest in {worst.name} "
            f"({_two(worst.score)} of {worst.maximum})."
        )
        improvements = [d.advice for d in weakest if d.score < d.maximum and d.advice]
    return HealthScore(
        as_of=as_of,
        score=_two(total),
        dimensions=[d.view() for d in dimensions],
        explanation=explanation,
        improvements=improvements,
        conversion=stats.conversion_of(data.conversion),
    )


def health_history(data: HealthData, month_ends: Sequence[date]) -> HealthHistory:
    """The score as of each month end (oldest first), each from data up to that day only."""
    points = []
    for end in month_ends:
        dimensions, _ = _dimensions(data, end)
        points.append(
            HealthPoint(
                month=end.strftime("%Y-%m"),
                as_of=end,
                score=_two(sum((d.score for d in dimensions), ZERO)),
                dimensions={d.name: _two(d.score) for d in dimensions},
            )
        )
    return HealthHistory(data=points, conversion=stats.conversion_of(data.conversion))
