"""Unusually large expenses: a pure function over ``Line`` rows.

An expense ``x`` (its size in the base currency) dated ``D`` in category ``c`` is compared with
the history ``h₁ … hₙ``: the sizes of ``c``'s expenses dated ``D - 180 days`` to ``D - 1 day``.
With ``n ≥ 5``:

    mean  m = Σhᵢ / n
    sample standard deviation  s = √( Σ(hᵢ - m)² / (n - 1) )
    z = (x - m) / s

and the expense is anomalous when ``z > threshold`` (3 by default). A history whose
expenses are all the same size (``s = 0``) has no spread to measure against: nothing in it is
flagged. Transfers and income are never expenses; a split's parts are each an expense of
their own category; uncategorized expenses form a category of their own.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import accumulate
from operator import itemgetter
from uuid import UUID

from domain.money import money_text
from projections.insights.model import Anomalies, Anomaly, ExpenseDay, Line
from projections.insights.stats import CENTS, conversion_of
from projections.ledger import view as ledger_view

WINDOW_DAYS = 180
Entry = tuple[date, int, Decimal, Decimal]  # day, expenses, Σ sizes, Σ sizes²
MIN_HISTORY = 5
DEFAULT_THRESHOLD = Decimal(3)


@dataclass(frozen=True)
class Expense:
    line: Line
    size: Decimal  # in the base currency: exact if it was in it, else converted and rounded


def expenses(lines: Iterable[Line], conversion: ledger_view.Conversion) -> list[Expense]:
    """Every expense line's size in the base currency, each converted at the latest rate on
    or before its date and rounded once; lines no rate converts are left out."""
    found = []
    for line in lines:  # as ``counted``: every line's currency is looked up, and named if unrated
        rate = conversion.rate(line.currency, line.date)
        if rate is None or line.transfer or line.amount >= 0:
            continue
        size = -line.amount
        if line.currency != conversion.base:
            size = ledger_view.round_money(size * rate, conversion.base)
        found.append(Expense(line, size))
    return found


@dataclass(frozen=True)
class History:
    """One category's expenses by date, with running counts and sums so any window's ``n``,
    ``Σh`` and ``Σh²`` are two subtractions away."""

    days: list[date]
    counts: list[int]  # counts[i] = expenses in the first i entries
    sums: list[Decimal]  # sums[i] = Σ sizes of the first i entries
    squares: list[Decimal]

    @classmethod
    def of(cls, entries: list[Entry]) -> History:
        """``entries`` oldest first."""
        # accumulate adds in C: a year of expenses costs a fraction of a Python loop.
        return cls(
            [entry[0] for entry in entries],
            list(accumulate((entry[1] for entry in entries), initial=0)),
            list(accumulate((entry[2] for entry in entries), initial=Decimal(0))),
            list(accumulate((entry[3] for entry in entries), initial=Decimal(0))),
        )

    def before(self, day: date) -> tuple[int, Decimal, Decimal]:
        """``n``, mean and sample variance ``s²`` of the window before ``day``, using
        ``Σ(h - m)² = Σh² - (Σh)² / n``, exact in decimals."""
        low = bisect_left(self.days, day - timedelta(days=WINDOW_DAYS))
        high = bisect_left(self.days, day)
        n = self.counts[high] - self.counts[low]
        if n < 2:
            return n, Decimal(0), Decimal(0)
        total = self.sums[high] - self.sums[low]
        squares = self.squares[high] - self.squares[low]
        return n, total / n, max(squares - total * total / n, Decimal(0)) / (n - 1)


def find_anomalies(
    lines: list[Line],
    conversion: ledger_view.Conversion,
    start: date,
    end: date,
    threshold: Decimal,
    names: dict[UUID, str],
    summed: Iterable[ExpenseDay] = (),
) -> Anomalies:
    """Expenses dated ``start`` to ``end`` more than ``threshold`` sample standard deviations
    above the mean of their category's expenses in the 180 days before them (at least 5),
    biggest ``z`` first. ``lines`` must reach back 180 days before ``start``, oldest first
    (as ``rows.lines`` gives them), but for the history ``summed`` holds instead: expenses
    in the base currency added up per day and category (``rows.expense_days``)."""
    base = conversion.base
    found = expenses(lines, conversion)
    by_category: dict[UUID | None, list[Entry]] = {}
    for day in summed:
        entry = (day.date, day.count, day.total, day.squares)
        by_category.setdefault(day.category_id, []).append(entry)
    for expense in found:
        entry = (expense.line.date, 1, expense.size, expense.size * expense.size)
        by_category.setdefault(expense.line.category_id, []).append(entry)
    histories = {
        category: History.of(sorted(entries, key=itemgetter(0)) if summed else entries)
        for category, entries in by_category.items()
    }
    anomalies: list[tuple[Decimal, Anomaly]] = []
    for expense in found:
        line = expense.line
        if not start <= line.date <= end:
            continue
        n, mean, variance = histories[line.category_id].before(line.date)
        above = expense.size - mean
        # z > t ⇔ x - m > 0 and (x - m)² > t²·s²: most expenses are ruled out without the
        # square root, which costs more than the rest of the test.
        if n < MIN_HISTORY or variance.is_zero() or above <= 0:
            continue
        if above * above <= threshold * threshold * variance:
            continue
        deviation = variance.sqrt()
        z = above / deviation
        if z <= threshold:  # the square root rounds: the exact test has the last word
            continue
        category = None if line.category_id is None else names.get(line.category_id)
        shown = z.quantize(CENTS, ROUND_HALF_EVEN)
        average = money_text(ledger_view.round_money(mean, base), base)
        anomalies.append(
            (
                z,
                Anomaly(
                    transaction_id=line.transaction_id,
                    merchant=line.merchant,
                    description=line.description,
                    amount=money_text(expense.size, base),
                    category_id=line.category_id,
                    category=category,
                    date=line.date,
                    average_amount=average,
                    standard_deviation=money_text(ledger_view.round_money(deviation, base), base),
                    standard_deviations=f"{shown:f}",
                    history_count=n,
                    reason=(
                        f"{money_text(expense.size, base)} {base} is {shown:f} standard "
                        f"deviations above the average of {average} {base} over the {n} "
                        f"{category or 'uncategorized'} expenses in the {WINDOW_DAYS} days "
                        f"before it (threshold {threshold:f})"
                    ),
                ),
            )
        )
    anomalies.sort(key=lambda pair: (-pair[0], pair[1].date, str(pair[1].transaction_id)))
    return Anomalies(
        start=start,
        end=end,
        threshold=f"{threshold:f}",
        data=[anomaly for _, anomaly in anomalies],
        conversion=conversion_of(conversion),
    )
