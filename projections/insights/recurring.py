"""Recurring series (subscriptions, bills, salaries): a pure function over ``Occurrence`` rows.

Occurrences are grouped by ``(merchant key, account, sign, currency)``: the merchant key is the
case-folded merchant, or the name ``normalize_merchant`` reads from the description, or the
description itself. In each group, oldest first, with dates ``d₁ … dₙ`` and sizes
``s₁ … sₙ`` (amounts without their sign):

    gaps       gᵢ = dᵢ₊₁ - dᵢ  (days)
    cadence    the period P whose window [P - w, P + w] holds median(g):
               WEEKLY 7 ± 3, BIWEEKLY 14 ± 3, MONTHLY 30.44 ± 5, QUARTERLY 91.31 ± 10,
               YEARLY 365.25 ± 15
    regular    r = (gaps inside the window) / (n - 1), and r ≥ 3/4
    enough     n ≥ 3 (n ≥ 2 for YEARLY)

Amounts are one level or two (a price step). A level is *steady* when every size in it is
within 20 % of the level's median. The series' amounts are, in this order of preference:

1. an exact step: ``s₁ … sₖ`` all equal, ``sₖ₊₁ … sₙ`` all equal, different, ``n - k ≥ 2``;
2. one steady level ``s₁ … sₙ`` (no price change);
3. a step: both ``s₁ … sₖ`` and ``sₖ₊₁ … sₙ`` steady (``n - k ≥ 2``), their medians more
   than 20 % apart (the latest such ``k``);

else the group is not a series (groceries whose bills swing more than that are spending, not a
bill). With the latest level ``L`` (all of them without a step):

    typical          t = median(L)
    price change     old = median(s₁ … sₖ), new = t, since = dₖ₊₁
    next expected    dₙ + 7 or 14 days, or + 1, 3 or 12 calendar months (day clamped to the
                     month's end)
    annual cost      t * 52, 26, 12, 4 or 1, in the series' own currency
    status           ACTIVE   when today ≤ next + w
                     LATE     when today ≤ dₙ + 2 periods + w
                     STOPPED  after that
    confidence       r * a * h, two decimals, in [0, 1], where
                     a = max(0, 1 - mean(|s - t| / t for s in L))   (amount stability)
                     h = min(1, (n - 1) / 3)                        (history: 4 occurrences
                                                                     or more count fully)

Each series has a stable id: uuid5 of the workspace, merchant key, account, sign and currency.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from statistics import median
from uuid import UUID

from msgspec.structs import replace

from domain.base import natural_id
from domain.ledger.merchants import merchant_key, normalize_merchant
from domain.money import money_text
from projections.insights.model import Occurrence, PriceChange, RecurringSeries
from projections.insights.stats import CENTS
from projections.ledger import view as ledger_view

HISTORY_DAYS = 3 * 366  # how far back series are looked for
TOLERANCE = Decimal("0.2")  # a level's sizes within 20 % of its median
MIN_REGULAR = Decimal("0.75")  # at most one gap in four outside the cadence's window


@dataclass(frozen=True)
class Cadence:
    name: str
    days: Decimal  # the nominal period
    window: int  # ± days
    months: int  # calendar months per period, 0 for a period in days
    per_year: int


CADENCES = (
    Cadence("WEEKLY", Decimal(7), 3, 0, 52),
    Cadence("BIWEEKLY", Decimal(14), 3, 0, 26),
    Cadence("MONTHLY", Decimal("30.44"), 5, 1, 12),
    Cadence("QUARTERLY", Decimal("91.31"), 10, 3, 4),
    Cadence("YEARLY", Decimal("365.25"), 15, 12, 1),
)


def add_periods(day: date, cadence: Cadence, count: int = 1) -> date:
    """``day`` plus ``count`` periods: days for weekly ones, calendar months (the day clamped
    to the month's end, Jan 31 → Feb 28) for the others."""
    if not cadence.months:
        return day + timedelta(days=int(cadence.days) * count)
    months = day.month - 1 + cadence.months * count
    year, month = day.year + months // 12, months % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cadence_of(gaps: Sequence[int]) -> tuple[Cadence, Decimal] | None:
    """The cadence whose window holds the median gap, and the share ``r`` of gaps inside that
    window; None when none holds it, or fewer than 3/4 of the gaps are inside."""
    if not gaps:
        return None
    middle = Decimal(str(median(gaps)))  # a whole or a half day, exact
    for cadence in CADENCES:
        if abs(middle - cadence.days) <= cadence.window:
            inside = sum(1 for gap in gaps if abs(gap - cadence.days) <= cadence.window)
            regular = Decimal(inside) / len(gaps)
            return (cadence, regular) if regular >= MIN_REGULAR else None
    return None


def _median(sizes: Sequence[Decimal]) -> Decimal:
    return Decimal(median(sizes))


def steady(sizes: Sequence[Decimal]) -> bool:
    """Every size within 20 % of the sizes' median."""
    middle = _median(sizes)
    return all(abs(size - middle) <= middle * TOLERANCE for size in sizes)


def levels(sizes: Sequence[Decimal]) -> int | None:
    """Where the latest level starts: 0 for one level, ``k`` for a step after ``sₖ``; None when
    the sizes are neither one level nor a step (see the module's rules 1 to 3)."""
    n = len(sizes)
    # Two exact levels: the last run of one size, after a run of another; the new level
    # holds 2 or more.
    k = n - 1
    while k > 0 and sizes[k - 1] == sizes[-1]:
        k -= 1
    if 1 <= k <= n - 2 and len(set(sizes[:k])) == 1:
        return k
    if steady(sizes):
        return 0
    # Two steady levels, the latest step first. Sizes within 20 % of their median are within
    # a ratio of 1.2 / 0.8 = 1.5 of each other, so a split whose either side spans more is
    # no step: that cheap test keeps a long irregular group from costing n medians.
    spread = (1 + TOLERANCE) / (1 - TOLERANCE)
    low, high = [sizes[0]], [sizes[0]]
    for size in sizes[1:]:
        low.append(min(low[-1], size))
        high.append(max(high[-1], size))
    after_low, after_high = sizes[-1], sizes[-1]
    for k in range(n - 1, 0, -1):  # sizes[k:] is the new level
        after_low, after_high = min(after_low, sizes[k]), max(after_high, sizes[k])
        if k > n - 2 or after_high > after_low * spread or high[k - 1] > low[k - 1] * spread:
            continue
        old, new = sizes[:k], sizes[k:]
        before, after = _median(old), _median(new)
        if steady(old) and steady(new) and abs(after - before) > before * TOLERANCE:
            return k
    return None


def key_of(occurrence: Occurrence) -> tuple[str, str]:
    """The merchant key series are grouped by, and the name shown for it."""
    name = (
        occurrence.merchant
        or normalize_merchant(occurrence.description)
        or " ".join(occurrence.description.split())
    )
    return merchant_key(name), name


@dataclass(frozen=True)
class Grouped:
    """Occurrences grouped by series key once, each group sorted by date (then id), with
    every merchant key's spellings in the order given: the series as of any day in any
    window are then a slice of each group away (``series_in``)."""

    groups: dict[tuple[str, UUID, bool, str], tuple[list[Occurrence], list[date]]]
    spellings: dict[str, list[tuple[date, str]]]


def grouped(occurrences: list[Occurrence]) -> Grouped:
    """``occurrences`` (any order) grouped by ``(merchant key, account, sign, currency)``;
    zero amounts left out."""
    groups: dict[tuple[str, UUID, bool, str], list[Occurrence]] = {}
    spellings: dict[str, list[tuple[date, str]]] = {}
    # A few hundred merchants recur across tens of thousands of occurrences: each spelling is
    # normalized once.
    keys: dict[tuple[str | None, str], tuple[str, str]] = {}
    for occurrence in occurrences:
        if occurrence.amount.is_zero():
            continue
        spelling = (occurrence.merchant, occurrence.description)
        found_key = keys.get(spelling)
        if found_key is None:
            found_key = keys[spelling] = key_of(occurrence)
        key, name = found_key
        spellings.setdefault(key, []).append((occurrence.date, name))
        series_key = (key, occurrence.account_id, occurrence.amount > 0, occurrence.currency)
        groups.setdefault(series_key, []).append(occurrence)
    sorted_groups = {}
    for series_key, group in groups.items():
        # A UUID orders as its text does (fixed-width hex), without making the text.
        group.sort(key=lambda o: (o.date, o.transaction_id))
        sorted_groups[series_key] = (group, [o.date for o in group])
    return Grouped(sorted_groups, spellings)


def find_recurring(
    occurrences: list[Occurrence],
    workspace_id: UUID,
    today: date,
    names: dict[UUID, str],
) -> list[RecurringSeries]:
    """Every series in ``occurrences`` (oldest first), most confident first, then by merchant."""
    return series_in(grouped(occurrences), workspace_id, today, names)


def series_in(
    found_groups: Grouped,
    workspace_id: UUID,
    today: date,
    names: dict[UUID, str],
    start: date = date.min,
    end: date = date.max,
) -> list[RecurringSeries]:
    """``find_recurring`` over the grouped occurrences dated ``start`` to ``end`` only: each
    merchant shown by its latest spelling in that span."""
    found = []
    for (key, account_id, income, currency), (all_of_group, dates) in found_groups.groups.items():
        group = all_of_group[bisect_left(dates, start) : bisect_right(dates, end)]
        if not group:
            continue
        sign = "income" if income else "expense"
        series = _series(group, today, names)
        if series is not None:
            shown = next(
                name for day, name in reversed(found_groups.spellings[key]) if start <= day <= end
            )
            series_id = natural_id(workspace_id, "recurring", key, account_id, sign, currency)
            found.append(replace(series, id=series_id, merchant=shown, type=sign))
    found.sort(key=lambda s: (-Decimal(s.confidence), s.merchant.casefold(), str(s.id)))
    return found


def _series(group: list[Occurrence], today: date, names: dict[UUID, str]) -> RecurringSeries | None:
    """The group as a series (its id, merchant and type left for the caller), or None."""
    n = len(group)
    dates = [o.date for o in group]
    found = cadence_of([(b - a).days for a, b in pairwise(dates)])
    if found is None:
        return None
    cadence, regular = found
    if n < (2 if cadence.name == "YEARLY" else 3):
        return None
    sizes = [abs(o.amount) for o in group]
    k = levels(sizes)
    if k is None:
        return None
    latest = sizes[k:]
    currency = group[0].currency
    typical = ledger_view.round_money(_median(latest), currency)
    stability = max(
        Decimal(0), 1 - sum((abs(s - typical) / typical for s in latest), Decimal(0)) / len(latest)
    )
    history = min(Decimal(1), Decimal(n - 1) / 3)
    confidence = (regular * stability * history).quantize(CENTS, ROUND_HALF_EVEN)
    last = dates[-1]
    following = add_periods(last, cadence)
    window = timedelta(days=cadence.window)
    if today <= following + window:
        status = "ACTIVE"
    elif today <= add_periods(last, cadence, 2) + window:
        status = "LATE"
    else:
        status = "STOPPED"
    category_id = group[-1].category_id
    return RecurringSeries(
        id=group[0].transaction_id,
        merchant="",
        type="",
        account_id=group[0].account_id,
        currency=currency,
        category_id=category_id,
        category=None if category_id is None else names.get(category_id),
        cadence=cadence.name,
        typical_amount=money_text(typical, currency),
        min_amount=money_text(min(sizes), currency),
        max_amount=money_text(max(sizes), currency),
        occurrences=n,
        first_date=dates[0],
        last_date=last,
        next_expected_date=following,
        annual_cost=money_text(typical * cadence.per_year, currency),
        confidence=f"{confidence:f}",
        status=status,
        price_change=None
        if k == 0
        else PriceChange(
            old=money_text(ledger_view.round_money(_median(sizes[:k]), currency), currency),
            new=money_text(typical, currency),
            since=dates[k],
        ),
    )
