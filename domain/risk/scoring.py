"""The risk score of a new expense: pure arithmetic over what came before it.

The score is the sum of the weights of the reasons that hold, capped at 100; a transaction is
flagged when it reaches ``THRESHOLD`` (50). The reasons and their weights:

- ``LARGE_FOR_CATEGORY``: ``min(40, floor(10 * z))`` where
  ``z = (|amount| - mean) / sd`` over the absolute amounts of the category's live expenses in
  the transaction's currency dated in the 180 days before its date (the sample standard
  deviation); only with at least 5 of them, ``sd > 0`` and ``z ≥ 1``.
- ``NEW_MERCHANT``: 20, when it names a merchant (compared lower-cased, trimmed) that no
  live transaction of the workspace recorded before it named.
- ``LATE_NIGHT``: 15, when its time of day is known and falls in 22:00-05:00 (22:00 included,
  05:00 not).
- ``MERCHANT_BURST``: 25, when with it at least 3 expenses at the same merchant fall on its
  date with times of day within 10 minutes of its own (both ends included).
- ``UNUSUAL_CURRENCY``: 15, when the account's transactions dated in the 90 days before have a
  most used currency and its currency is none of those tied for most used.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Context, Decimal, Inexact, localcontext
from fractions import Fraction

THRESHOLD = 50
CATEGORY_DAYS = 180
CATEGORY_MINIMUM = 5
SIZE_CAP = 40
NEW_MERCHANT = 20
LATE_NIGHT = 15
LATE_FROM, LATE_UNTIL = time(22), time(5)
BURST = 25
BURST_COUNT = 3
BURST_WINDOW = timedelta(minutes=10)
CURRENCY = 15
CURRENCY_DAYS = 90


@dataclass(frozen=True)
class Expense:
    """The transaction scored: an expense (negative amount) that is not a transfer."""

    amount: Decimal
    currency: str
    date: date
    time: time | None
    merchant: str | None


# Wide enough that sums of amounts and of their squares are exact; were one not, Inexact.
_EXACT = Context(prec=100, traps=[Inexact])


@dataclass(frozen=True)
class Spread:
    """Amounts as exact sums: how many, their total, and the total of their squares."""

    count: int = 0
    total: Decimal = Decimal(0)
    squares: Decimal = Decimal(0)

    @classmethod
    def of(cls, amounts: Sequence[Decimal]) -> Spread:
        with localcontext(_EXACT):  # Inexact where they would not be exact
            return cls(
                len(amounts), sum(amounts, Decimal(0)), sum(map(operator.mul, amounts, amounts))
            )


@dataclass(frozen=True)
class History:
    """What came before it, as the watch read it from the read models."""

    category: Spread = Spread()  # |amount| of the category's expenses, 180 days
    merchant_seen: bool = True  # the merchant was named before (or there is none)
    merchant_times: tuple[time, ...] = ()  # other expenses at its merchant on its date
    # how many of the account's transactions were in each currency, 90 days
    account_currencies: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reason:
    code: str
    weight: int
    detail: str


def merchant_key(merchant: str | None) -> str | None:
    """How merchants compare: lower-cased and trimmed, like SQL lower(btrim()); blank is none."""
    key = (merchant or "").strip().lower()
    return key or None


def score(expense: Expense, history: History) -> tuple[int, tuple[Reason, ...]]:
    """The score (0-100) and each reason that holds with its weight."""
    reasons = [
        reason
        for reason in (
            _size(expense, history),
            _new_merchant(expense, history),
            _late_night(expense),
            _burst(expense, history),
            _currency(expense, history),
        )
        if reason is not None
    ]
    return min(100, sum(r.weight for r in reasons)), tuple(reasons)


def _size(expense: Expense, history: History) -> Reason | None:
    category = history.category
    if category.count < CATEGORY_MINIMUM:
        return None
    mean, sd = mean_and_stdev(category)
    if sd == 0:
        return None
    z = (abs(expense.amount) - mean) / sd
    if z < 1:
        return None
    weight = min(SIZE_CAP, math.floor(10 * z))
    return Reason(
        "LARGE_FOR_CATEGORY",
        weight,
        f"{abs(expense.amount)} is {z:.1f} standard deviations above the category's mean "
        f"{mean:.2f} over {category.count} expenses",
    )


def mean_and_stdev(spread: Spread) -> tuple[Decimal, Decimal]:
    """What ``statistics.mean`` and ``statistics.stdev`` give for the amounts (each the exact
    value, correctly rounded), from their exact sums: the sample variance is
    (n·Σx² - (Σx)²) / (n(n - 1)). The database sums them; the statistics module adds
    fractions, and reading and adding a category of a few thousand expenses took
    milliseconds for each expense scored."""
    count = spread.count
    mean = Fraction(spread.total) / count
    variance = (count * Fraction(spread.squares) - Fraction(spread.total) ** 2) / (
        count * (count - 1)
    )
    return Decimal(mean.numerator) / mean.denominator, _sqrt(variance)


def _sqrt(value: Fraction) -> Decimal:
    """The square root of ``value``, correctly rounded in the current context (the standard
    library's way: the Decimal square root of the quotient, then a step up or down when the
    exact value lies past the midpoint)."""
    if value <= 0:  # all alike
        return Decimal("0.0")
    n, m = value.numerator, value.denominator
    root = (Decimal(n) / Decimal(m)).sqrt()
    nr, dr = root.as_integer_ratio()
    plus = root.next_plus()
    np, dp = plus.as_integer_ratio()
    if 4 * n * (dr * dp) ** 2 > m * (dr * np + dp * nr) ** 2:
        return plus
    minus = root.next_minus()
    nm, dm = minus.as_integer_ratio()
    if 4 * n * (dr * dm) ** 2 < m * (dr * nm + dm * nr) ** 2:
        return minus
    return root


def _new_merchant(expense: Expense, history: History) -> Reason | None:
    if merchant_key(expense.merchant) is None or history.merchant_seen:
        return None
    return Reason("NEW_MERCHANT", NEW_MERCHANT, f"first charge at {expense.merchant.strip()}")  # type: ignore[union-attr]


def _late_night(expense: Expense) -> Reason | None:
    at = expense.time
    if at is None or LATE_UNTIL <= at < LATE_FROM:
        return None
    return Reason("LATE_NIGHT", LATE_NIGHT, f"at {at.isoformat()}, between 22:00 and 05:00")


def _burst(expense: Expense, history: History) -> Reason | None:
    if expense.time is None or merchant_key(expense.merchant) is None:
        return None
    at = datetime.combine(expense.date, expense.time)
    near = [
        t
        for t in history.merchant_times
        if abs(datetime.combine(expense.date, t) - at) <= BURST_WINDOW
    ]
    if len(near) + 1 < BURST_COUNT:
        return None
    return Reason(
        "MERCHANT_BURST", BURST, f"{len(near) + 1} charges at {expense.merchant} within 10 minutes"
    )


def _currency(expense: Expense, history: History) -> Reason | None:
    counts = history.account_currencies
    if not counts:
        return None
    most = max(counts.values())
    usual = sorted(c for c, n in counts.items() if n == most)
    if expense.currency in usual:
        return None
    return Reason(
        "UNUSUAL_CURRENCY", CURRENCY, f"{expense.currency}, the account usually sees {usual[0]}"
    )
