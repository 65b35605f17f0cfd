"""Income, expenses, trends, top categories and cash flow: pure functions over ``Line`` rows.

Every function here takes the lines SQL fetched (``projections/insights/rows.py``) and a
``Conversion`` into the workspace's base currency, and decides:

- a line is **income** when its amount is positive and **an expense** when it is negative (as
  the dashboard counts them); its size is ``|amount|``;
- a **transfer** leg is neither; a transfer leg on an investment account counts toward
  **investments**: ``investments = Σ amount`` of those legs (money in minus money taken out);
- a line whose currency has no rate on or before its date is left out of every figure, count
  included, and its currency is named (``conversion.unconverted``);
- sums of amounts already in the base currency are exact; what a rate converted is rounded to
  the base currency's minor units once per sum (``BaseTotal``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from domain.money import in_minor_units, money_text
from projections.insights.model import (
    CashFlow,
    CashFlowMonth,
    CategoryAmount,
    Change,
    Changes,
    Conversion,
    Figures,
    Line,
    MonthStats,
    Periods,
    TopCategories,
    TopCategory,
    TrendRow,
    Trends,
)
from projections.ledger import view as ledger_view

MAX_PERIODS = 1000
INTERVALS = ("day", "week", "month", "year")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")


def percent(part: Decimal, whole: Decimal) -> str | None:
    """``part / whole * 100`` to two decimals (half to even); None when ``whole`` is 0."""
    if whole.is_zero():
        return None
    return f"{(part * HUNDRED / whole).quantize(CENTS, ROUND_HALF_EVEN):f}"


def counted(lines: Iterable[Line], conversion: ledger_view.Conversion) -> Iterator[Line]:
    """The lines a rate (or none, in the base currency) converts; the others are left out and
    their currencies named in ``conversion.unconverted``."""
    for line in lines:
        if conversion.rate(line.currency, line.date) is not None:
            yield line


def conversion_of(conversion: ledger_view.Conversion) -> Conversion:
    return Conversion(
        currency=conversion.base,
        rates_used=sorted(
            conversion.used.values(), key=lambda r: (r.rate_date, r.currency, r.quote)
        ),
        unconverted=sorted(conversion.unconverted),
    )


@dataclass
class Sums:
    """One period's sums in the base currency."""

    conversion: ledger_view.Conversion
    income: ledger_view.BaseTotal = field(init=False)
    expenses: ledger_view.BaseTotal = field(init=False)
    investments: ledger_view.BaseTotal = field(init=False)
    transactions: set[UUID] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.income = ledger_view.BaseTotal(self.conversion)
        self.expenses = ledger_view.BaseTotal(self.conversion)
        self.investments = ledger_view.BaseTotal(self.conversion)

    def add(self, line: Line) -> None:
        if line.transfer:
            if line.investment:
                self.investments.add(line.amount, line.currency, line.date)
            return
        self.transactions.add(line.transaction_id)  # a split one counts once
        if line.amount > 0:
            self.income.add(line.amount, line.currency, line.date)
        elif line.amount < 0:
            self.expenses.add(-line.amount, line.currency, line.date)

    @property
    def net(self) -> Decimal:
        """``net = income - expenses``."""
        return in_minor_units(self.income.total - self.expenses.total, self.conversion.base)

    def figures(self) -> Figures:
        """``savings_rate = net / income * 100`` (null without income)."""
        base = self.conversion.base
        return Figures(
            income=money_text(self.income.total, base),
            expenses=money_text(self.expenses.total, base),
            net=money_text(self.net, base),
            investments=money_text(self.investments.total, base),
            savings_rate=percent(self.net, self.income.total),
            transaction_count=len(self.transactions),
        )


def sums(lines: Iterable[Line], conversion: ledger_view.Conversion, start: date, end: date) -> Sums:
    """The sums of the lines dated ``start`` to ``end``, both included."""
    total = Sums(conversion)
    for line in counted(lines, conversion):
        if start <= line.date <= end:
            total.add(line)
    return total


def month_sums(lines: Iterable[Line], conversion: ledger_view.Conversion) -> dict[date, Sums]:
    """The sums of each month holding a line, by its first day: what ``sums`` gives for
    the month, in one pass over the lines."""
    found: dict[date, Sums] = {}
    for line in counted(lines, conversion):
        first_day = line.date.replace(day=1)
        total = found.get(first_day)
        if total is None:
            total = found[first_day] = Sums(conversion)
        total.add(line)
    return found


def month_end(first_day: date) -> date:
    return next_start(first_day, "month") - timedelta(days=1)


def previous_month(first_day: date) -> date:
    return (first_day - timedelta(days=1)).replace(day=1)


def _change(current: Decimal, previous: Decimal, currency: str | None) -> Change:
    """``amount = current - previous``; ``percent = amount / |previous| * 100``."""
    difference = current - previous
    return Change(
        amount=str(difference) if currency is None else money_text(difference, currency),
        percent=percent(difference, abs(previous)),
    )


def month_stats(
    lines: list[Line], conversion: ledger_view.Conversion, first_day: date
) -> MonthStats:
    """The month's figures, the previous month's, and the change of each."""
    before = previous_month(first_day)
    now = sums(lines, conversion, first_day, month_end(first_day))
    then = sums(lines, conversion, before, month_end(before))
    current, previous = now.figures(), then.figures()
    base = conversion.base
    if current.savings_rate is None or previous.savings_rate is None:
        rate_change = Change(amount=None, percent=None)
    else:  # percentage points: a percent of a percent would say little
        points = Decimal(current.savings_rate) - Decimal(previous.savings_rate)
        rate_change = Change(amount=f"{points:f}", percent=None)
    return MonthStats(
        month=first_day.strftime("%Y-%m"),
        current=current,
        previous_month=before.strftime("%Y-%m"),
        previous=previous,
        change=Changes(
            income=_change(now.income.total, then.income.total, base),
            expenses=_change(now.expenses.total, then.expenses.total, base),
            net=_change(now.net, then.net, base),
            investments=_change(now.investments.total, then.investments.total, base),
            savings_rate=rate_change,
            transaction_count=_change(
                Decimal(len(now.transactions)), Decimal(len(then.transactions)), None
            ),
        ),
        conversion=conversion_of(conversion),
    )


def period_start(day: date, interval: str, week_start: str = "MONDAY") -> date:
    """The first day of the day, week (from the workspace's first weekday), month or year
    holding ``day``."""
    if interval == "day":
        return day
    if interval == "week":
        first = WEEKDAYS.index(week_start) if week_start in WEEKDAYS else 0
        return day - timedelta(days=(day.weekday() - first) % 7)
    if interval == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def next_start(start: date, interval: str) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    return start.replace(year=start.year + 1, month=1, day=1)


def periods(
    start: date, end: date, interval: str, week_start: str = "MONDAY", limit: int = MAX_PERIODS
) -> list[tuple[date, date]] | None:
    """Every period from the one holding ``start`` to the one holding ``end``, each clipped
    to the range; None when there would be more than ``limit`` of them."""
    found: list[tuple[date, date]] = []
    first = period_start(start, interval, week_start)
    while first <= end:
        if len(found) == limit:
            return None
        after = next_start(first, interval)
        found.append((max(first, start), min(after - timedelta(days=1), end)))
        first = after
    return found


def _by_amount(
    totals: dict[UUID | None, ledger_view.BaseTotal], names: dict[UUID, str]
) -> list[tuple[UUID | None, str | None, Decimal]]:
    """Biggest first; ties by name, uncategorized last."""
    rows = [
        (category, None if category is None else names.get(category), total.total)
        for category, total in totals.items()
    ]
    rows.sort(key=lambda row: (-row[2], row[1] is None, row[1] or "", str(row[0])))
    return rows


def trends(
    lines: list[Line],
    conversion: ledger_view.Conversion,
    spans: list[tuple[date, date]],
    interval: str,
    names: dict[UUID, str],
) -> Trends:
    """One row per period (``spans``: at least one, from ``periods``), empty ones as zeros:
    income, expenses, ``net = income - expenses`` and expenses per category."""
    base = conversion.base
    rows = [(Sums(conversion), dict[UUID | None, ledger_view.BaseTotal]()) for _ in spans]
    starts = [span[0] for span in spans]
    for line in counted(lines, conversion):
        index = _index_of(starts, spans, line.date)
        if index is None:
            continue
        total, categories = rows[index]
        total.add(line)
        if not line.transfer and line.amount < 0:
            categories.setdefault(line.category_id, ledger_view.BaseTotal(conversion)).add(
                -line.amount, line.currency, line.date
            )
    data = [
        TrendRow(
            start=span[0],
            end=span[1],
            income=money_text(total.income.total, base),
            expenses=money_text(total.expenses.total, base),
            net=money_text(total.net, base),
            categories=[
                CategoryAmount(category_id=c, category=name, amount=money_text(amount, base))
                for c, name, amount in _by_amount(categories, names)
            ],
        )
        for span, (total, categories) in zip(spans, rows, strict=True)
    ]
    return Trends(
        interval=interval,
        start=spans[0][0],
        end=spans[-1][1],
        data=data,
        conversion=conversion_of(conversion),
    )


def _index_of(starts: list[date], spans: list[tuple[date, date]], day: date) -> int | None:
    index = bisect_right(starts, day) - 1
    if index < 0 or day > spans[index][1]:
        return None
    return index


def top_categories(
    lines: list[Line],
    conversion: ledger_view.Conversion,
    start: date,
    end: date,
    limit: int,
    names: dict[UUID, str],
) -> TopCategories:
    """Spending per category, biggest first: ``amount = Σ |expense|`` of its lines,
    ``percentage = amount / Σ all expenses * 100``, ``count`` = its expense lines (a split's
    parts each count under their own category)."""
    base = conversion.base
    total = ledger_view.BaseTotal(conversion)
    per_category: dict[UUID | None, ledger_view.BaseTotal] = {}
    counts: dict[UUID | None, int] = {}
    for line in counted(lines, conversion):
        if line.transfer or line.amount >= 0 or not start <= line.date <= end:
            continue
        total.add(-line.amount, line.currency, line.date)
        per_category.setdefault(line.category_id, ledger_view.BaseTotal(conversion)).add(
            -line.amount, line.currency, line.date
        )
        counts[line.category_id] = counts.get(line.category_id, 0) + 1
    spent = total.total
    return TopCategories(
        start=start,
        end=end,
        total_expenses=money_text(spent, base),
        data=[
            TopCategory(
                category_id=category,
                category=name,
                amount=money_text(amount, base),
                percentage=percent(amount, spent) or "0.00",
                count=counts[category],
            )
            for category, name, amount in _by_amount(per_category, names)[:limit]
        ],
        conversion=conversion_of(conversion),
    )


def cash_flow(
    lines: list[Line], conversion: ledger_view.Conversion, months: list[date]
) -> CashFlow:
    """Per month, oldest first: income, expenses and ``savings = income - expenses``."""
    base = conversion.base
    totals = month_sums(lines, conversion)
    data = []
    for first_day in months:
        total = totals.get(first_day) or Sums(conversion)
        data.append(
            CashFlowMonth(
                month=first_day.strftime("%Y-%m"),
                income=money_text(total.income.total, base),
                expenses=money_text(total.expenses.total, base),
                savings=money_text(total.net, base),
            )
        )
    return CashFlow(data=data, conversion=conversion_of(conversion))


def last_months(this_month: date, count: int) -> list[date]:
    """The first days of ``count`` months ending with ``this_month``, oldest first."""
    months = [this_month]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months[::-1]


def periods_held(months: Iterable[date]) -> Periods:
    """The years and months (newest first) that hold at least one transaction."""
    ordered = sorted(set(months), reverse=True)
    return Periods(
        years=sorted({month.year for month in ordered}, reverse=True),
        months=[month.strftime("%Y-%m") for month in ordered],
    )
