"""The overview's summary cards and their timeframes: pure functions over plain rows.

A **timeframe** is a window ending today, in the workspace's time zone:

    today        today to today
    this-week    the week's first day (the workspace's ``week_start``) to today
    this-month   the month's first day to today
    this-year    1 January to today
    all-time     the first transaction's date (today without one) to today

The cards (every amount in the base currency, ``stats.Sums`` rules for income and expenses):

    net worth      N(d) = Σ balances on d of every account (a liability's balance is negative
                   while something is owed); current = N(today), previous = N(start - 1 day),
                   change = current - previous, percent = change / |previous| * 100 (null when
                   previous is 0); trend FLAT when |change| < 1 % of |previous| (or change is 0
                   when previous is 0), else UP or DOWN by the sign of change
    spending       amount = Σ spent, budgeted = Σ limit (rollover included) over the current
                   periods (holding today) of the active budgets, converted at today's rates;
                   percent_used = amount / budgeted * 100; days_remaining = end - today of the
                   period ending first (null without a budget)
    income         amount = income in the timeframe; three_month_average = income of the three
                   complete months before this month / 3; change = amount - average,
                   percent = change / average * 100
    cash flow      income - expenses in the timeframe; savings rate = cash flow / income * 100
    health score   ``health.health_score`` today
    risk flags     the flags still PENDING review
    recent         the last 5 transactions up to today (newest first, a split one once with
                   its whole amount, transfer legs included), in their own currency
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.money import in_minor_units, money_text
from projections.insights import stats
from projections.insights.model import (
    AccountBalance,
    BudgetPeriod,
    IncomeCard,
    Line,
    NetWorthCard,
    Overview,
    RecentTransaction,
    SpendingCard,
)
from projections.ledger import view as ledger_view

TIMEFRAMES = ("today", "this-week", "this-month", "this-year", "all-time")
FLAT_PERCENT = Decimal(1)
RECENT = 5
INCOME_MONTHS = 3
ZERO = Decimal(0)


@dataclass
class CurrentBudget:
    """A budget's current period and the currency its limit and spending are in."""

    period: BudgetPeriod
    currency: str


@dataclass
class OverviewData:
    lines: list[Line]  # from income_start(...) or the timeframe's start (the earlier) to today
    balances: list[AccountBalance]  # on start - 1 day and on today
    budgets: list[CurrentBudget]
    health_score: str
    open_risk_flags: int
    conversion: ledger_view.Conversion


def timeframe_start(today: date, timeframe: str, week_start: str, first: date | None) -> date:
    """The timeframe's first day (its last is today)."""
    if timeframe == "today":
        return today
    if timeframe == "this-week":
        return stats.period_start(today, "week", week_start)
    if timeframe == "this-month":
        return today.replace(day=1)
    if timeframe == "this-year":
        return today.replace(month=1, day=1)
    return min(first, today) if first is not None else today


def income_start(today: date) -> date:
    """The first day of the three complete months the income card averages."""
    return stats.last_months(stats.previous_month(today.replace(day=1)), INCOME_MONTHS)[0]


def net_worth(
    balances: Sequence[AccountBalance], day: date, conversion: ledger_view.Conversion
) -> Decimal:
    """``N(day) = Σ balances on day``, converted at the day's rates."""
    total = ledger_view.BaseTotal(conversion)
    for row in balances:
        if row.day == day:
            total.add(row.balance, row.currency, day)
    return total.total


def trend(change: Decimal, previous: Decimal) -> str:
    """FLAT when ``|change| < 1 % of |previous|`` (when previous is 0: when change is 0)."""
    if abs(change) * 100 < FLAT_PERCENT * abs(previous) or change.is_zero():
        return "FLAT"
    return "UP" if change > 0 else "DOWN"


def net_worth_card(
    balances: Sequence[AccountBalance], start: date, today: date, conversion: ledger_view.Conversion
) -> NetWorthCard:
    base = conversion.base
    current = net_worth(balances, today, conversion)
    previous = net_worth(balances, start - timedelta(days=1), conversion)
    change = in_minor_units(current - previous, base)
    return NetWorthCard(
        current=money_text(current, base),
        previous=money_text(previous, base),
        change=money_text(change, base),
        percent=stats.percent(change, abs(previous)),
        trend=trend(change, previous),
    )


def spending_card(
    budgets: Sequence[CurrentBudget], today: date, conversion: ledger_view.Conversion
) -> SpendingCard:
    spent, limit = ledger_view.BaseTotal(conversion), ledger_view.BaseTotal(conversion)
    for budget in budgets:
        spent.add(budget.period.spent, budget.currency, today)
        limit.add(budget.period.limit, budget.currency, today)
    ends = [b.period.end for b in budgets]
    base = conversion.base
    return SpendingCard(
        amount=money_text(spent.total, base),
        budgeted=money_text(limit.total, base),
        percent_used=stats.percent(spent.total, limit.total),
        days_remaining=(min(ends) - today).days if ends else None,
    )


def income_card(
    lines: Sequence[Line], start: date, today: date, conversion: ledger_view.Conversion
) -> IncomeCard:
    base = conversion.base
    amount = stats.sums(lines, conversion, start, today).income.total
    first = income_start(today)
    before = stats.sums(lines, conversion, first, today.replace(day=1) - timedelta(days=1))
    average = ledger_view.round_money(before.income.total / INCOME_MONTHS, base)
    change = in_minor_units(amount - average, base)
    return IncomeCard(
        amount=money_text(amount, base),
        three_month_average=money_text(average, base),
        change=money_text(change, base),
        percent=stats.percent(change, average),
    )


def recent_transactions(lines: Sequence[Line], today: date) -> list[RecentTransaction]:
    """The last ``RECENT`` transactions dated up to today, newest first (date, then id)."""
    whole: dict[object, tuple[Line, Decimal]] = {}
    for line in lines:
        if line.date > today:
            continue
        seen = whole.get(line.transaction_id)
        whole[line.transaction_id] = (line, line.amount + (seen[1] if seen else ZERO))
    newest = sorted(whole.values(), key=lambda w: (w[0].date, w[0].transaction_id), reverse=True)
    return [
        RecentTransaction(
            transaction_id=line.transaction_id,
            date=line.date,
            amount=money_text(amount, line.currency),
            currency=line.currency,
            merchant=line.merchant,
            description=line.description,
        )
        for line, amount in newest[:RECENT]
    ]


def overview(data: OverviewData, timeframe: str, start: date, today: date) -> Overview:
    """Every card of the timeframe ``start`` to ``today``."""
    conversion = data.conversion
    window = stats.sums(data.lines, conversion, start, today)
    return Overview(
        timeframe=timeframe,
        start=start,
        end=today,
        net_worth=net_worth_card(data.balances, start, today, conversion),
        spending=spending_card(data.budgets, today, conversion),
        income=income_card(data.lines, start, today, conversion),
        cash_flow=money_text(window.net, conversion.base),
        savings_rate=stats.percent(window.net, window.income.total),
        health_score=data.health_score,
        open_risk_flags=data.open_risk_flags,
        recent_transactions=recent_transactions(data.lines, today),
        conversion=stats.conversion_of(conversion),
    )
