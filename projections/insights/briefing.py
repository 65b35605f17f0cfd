"""The daily briefing: a few template sentences filled from the figures of one day.

The metrics, as of the day ``D`` (in the base currency):

    liquid_balance          Σ balances on D of CHECKING, SAVINGS and CASH accounts
    month_to_date_spending  expenses from the first of D's month to D (``stats.Sums``)
    month_budget            Σ limits of the active budgets' periods holding D, and
    budget_used_percent     Σ spent / Σ limit * 100 over them (``overview.spending_card``)
    upcoming_bills          recurring expense series (``recurring.find_recurring``) ACTIVE or
                            LATE whose next expected date is after D and at most 7 days after;
                            their amount is Σ typical amounts
    open_risk_flags         flags PENDING review
    anomalies               ``anomalies.find_anomalies`` from the month's first day to
                            D, at 3 standard deviations

The sentences, in this order (docs/insights.md lists the same):

    1. always:            "You have {liquid_balance} {base} across your checking, savings and
                           cash accounts."
    2. with a budget:     "You have spent {month_to_date_spending} {base} this month, {percent} %
                           of your {month_budget} {base} budget."
       without one:       "You have spent {month_to_date_spending} {base} this month."
    3. with bills:        "{n} bill(s) totalling {amount} {base} due in the next 7 days."
       without:           "No bills due in the next 7 days."
    4. with open flags:   "{n} flagged transaction(s) to review."
       else with anomalies: "{n} unusual expense(s) this month."
       else:              no fourth sentence
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.money import money_text
from projections.insights import health, overview, stats
from projections.insights.model import (
    AccountBalance,
    Briefing,
    BriefingMetrics,
    Line,
    RecurringSeries,
)
from projections.ledger import view as ledger_view

UPCOMING_DAYS = 7


@dataclass
class BriefingData:
    lines: list[Line]  # the month to D (earlier lines are ignored)
    balances: list[AccountBalance]  # on D
    budgets: list[overview.CurrentBudget]
    series: list[RecurringSeries]
    open_risk_flags: int
    anomalies: int
    conversion: ledger_view.Conversion


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def upcoming_bills(
    series: Sequence[RecurringSeries], day: date, conversion: ledger_view.Conversion
) -> tuple[int, Decimal]:
    """The expense series expected after ``day`` and at most 7 days after, and Σ typical."""
    total, count = ledger_view.BaseTotal(conversion), 0
    for one in series:
        if one.type != "expense" or one.status not in ("ACTIVE", "LATE"):
            continue
        if day < one.next_expected_date <= day + timedelta(days=UPCOMING_DAYS):
            count += 1
            total.add(Decimal(one.typical_amount), one.currency, day)
    return count, total.total


def metrics(data: BriefingData, day: date) -> BriefingMetrics:
    conversion, base = data.conversion, data.conversion.base
    liquid = ledger_view.BaseTotal(conversion)
    for row in data.balances:
        if row.day == day and row.type in health.LIQUID:
            liquid.add(row.balance, row.currency, day)
    spent = stats.sums(data.lines, conversion, day.replace(day=1), day).expenses.total
    budget = overview.spending_card(data.budgets, day, conversion)
    bills, amount = upcoming_bills(data.series, day, conversion)
    return BriefingMetrics(
        liquid_balance=money_text(liquid.total, base),
        month_to_date_spending=money_text(spent, base),
        month_budget=budget.budgeted,
        budget_used_percent=budget.percent_used,
        upcoming_bills=bills,
        upcoming_bills_amount=money_text(amount, base),
        open_risk_flags=data.open_risk_flags,
        anomalies=data.anomalies,
    )


def sentences(m: BriefingMetrics, base: str) -> list[str]:
    """The templates of the module docstring, filled from ``m``."""
    found = [f"You have {m.liquid_balance} {base} across your checking, savings and cash accounts."]
    if m.budget_used_percent is not None:
        found.append(
            f"You have spent {m.month_to_date_spending} {base} this month, "
            f"{m.budget_used_percent} % of your {m.month_budget} {base} budget."
        )
    else:
        found.append(f"You have spent {m.month_to_date_spending} {base} this month.")
    if m.upcoming_bills:
        found.append(
            f"{_plural(m.upcoming_bills, 'bill')} totalling {m.upcoming_bills_amount} {base} "
            f"due in the next {UPCOMING_DAYS} days."
        )
    else:
        found.append(f"No bills due in the next {UPCOMING_DAYS} days.")
    if m.open_risk_flags:
        found.append(f"{_plural(m.open_risk_flags, 'flagged transaction')} to review.")
    elif m.anomalies:
        found.append(f"{_plural(m.anomalies, 'unusual expense')} this month.")
    return found


def briefing(data: BriefingData, day: date) -> Briefing:
    m = metrics(data, day)
    said = sentences(m, data.conversion.base)
    return Briefing(
        date=day,
        text=" ".join(said),
        sentences=said,
        metrics=m,
        conversion=stats.conversion_of(data.conversion),
    )
