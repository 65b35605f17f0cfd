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

Since 3/4 of the gaps lie in a cadence's window and the shortest window starts at 4 days, a
series' dates span ``dₙ - d₁ ≥ 4 * 3/4 * (n - 1) = 3 (n - 1)`` days: a group denser than
that (a shop visited several times a week) is no series, and is left out before its dates are
read (``could_recur``). Looked at in several windows (the health score's months), a group is
kept when the occurrences every window holds, ``n``, pass the test against the span of all
of them: in each window it has ``n`` or more occurrences spanning no more than that, so a
group left out is a series in none.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from statistics import median
from uuid import UUID

from msgspec.structs import replace

from domain.base import natural_id
from domain.ledger.merchants import merchant_key, series_name
from domain.money import money_text
from projections.insights.model import (
    Occurrence,
    PriceChange,
    RecurringSeries,
    SeriesPart,
    SeriesSpan,
)
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


SeriesKey = tuple[str, UUID, bool, str]  # merchant key, account, income, currency
PartKey = tuple[str, UUID, bool, str]  # series name, account, income, currency


@dataclass(frozen=True)
class Group:
    """One series key's occurrences as columns, oldest first (by date, then id), each with
    the name its transaction was known by."""

    dates: list[date]
    sizes: list[Decimal]  # amounts without their sign
    ids: list[UUID]
    categories: list[UUID | None]
    names: list[str]


@dataclass(frozen=True)
class Grouped:
    """Occurrences grouped by series key once: the series as of any day in any window are
    then a slice of each group away (``series_in``)."""

    groups: dict[SeriesKey, Group]

    def only(self, categories: set[UUID]) -> Grouped:
        """The occurrences in ``categories`` only (a split one is in none)."""
        kept = {}
        for key, group in self.groups.items():
            at = [i for i, category in enumerate(group.categories) if category in categories]
            if at:
                kept[key] = Group(
                    [group.dates[i] for i in at],
                    [group.sizes[i] for i in at],
                    [group.ids[i] for i in at],
                    [group.categories[i] for i in at],
                    [group.names[i] for i in at],
                )
        return Grouped(kept)


def could_recur(count: int, first: date, last: date, inside: int | None = None) -> bool:
    """Whether ``count`` occurrences from ``first`` to ``last`` could hold a series: 2 or
    more, spanning at least ``3 (n - 1)`` days, where ``n`` counts the occurrences every
    window looked at holds (``inside``; all of them by default). See the module."""
    n = count if inside is None else inside
    return count >= 2 and 3 * (n - 1) <= (last - first).days


def candidates(spans: Iterable[SeriesSpan]) -> list[PartKey]:
    """The parts of the groups (the spans' parts merged by merchant key, as ``from_parts``
    merges them) that could recur in one of the windows the spans were counted for."""
    merged: dict[SeriesKey, list[SeriesSpan]] = {}
    for span in spans:
        key = (merchant_key(span.name), span.account_id, span.income, span.currency)
        merged.setdefault(key, []).append(span)
    return [
        (span.name, span.account_id, span.income, span.currency)
        for group in merged.values()
        if could_recur(
            sum(span.count for span in group),
            min(span.first for span in group),
            max(span.last for span in group),
            sum(span.inside for span in group),
        )
        for span in group
    ]


def from_parts(parts: Iterable[SeriesPart]) -> Grouped:
    """The parts (each one name's occurrences in one account, sign and currency, oldest
    first, no zero amount) merged by merchant key: names that differ only in case are one
    merchant."""
    by_key: dict[SeriesKey, list[tuple[str, SeriesPart]]] = {}
    for part in parts:
        name = part.name or series_name(part.merchant, part.description or "")
        key = (merchant_key(name), part.account_id, part.income, part.currency)
        by_key.setdefault(key, []).append((name, part))
    groups = {}
    for key, named in by_key.items():
        if len(named) == 1:  # the common case: the part's columns as they came
            name, part = named[0]
            sizes = [abs(amount) for amount in part.amounts]
            names = [name] * len(part.ids)
            groups[key] = Group(part.dates, sizes, part.ids, part.categories, names)
            continue
        rows = sorted(
            (
                (day, id_, abs(amount), category, name)
                for name, part in named
                for day, id_, amount, category in zip(
                    part.dates, part.ids, part.amounts, part.categories, strict=True
                )
            ),
            key=lambda row: (row[0], row[1]),
        )
        groups[key] = Group(
            [row[0] for row in rows],
            [row[2] for row in rows],
            [row[1] for row in rows],
            [row[3] for row in rows],
            [row[4] for row in rows],
        )
    return Grouped(groups)


def grouped(occurrences: list[Occurrence]) -> Grouped:
    """``occurrences`` (any order) grouped by ``(merchant key, account, sign, currency)``;
    zero amounts left out."""
    parts: dict[tuple[str, UUID, bool, str], SeriesPart] = {}
    # A few hundred merchants recur across tens of thousands of occurrences: each spelling is
    # named once.
    spelled: dict[tuple[str | None, str], str] = {}
    for o in sorted(occurrences, key=lambda o: (o.date, o.transaction_id)):
        if o.amount.is_zero():
            continue
        spelling = (o.merchant, o.description)
        name = spelled.get(spelling)
        if name is None:
            name = spelled[spelling] = series_name(o.merchant, o.description)
        key = (name, o.account_id, o.amount > 0, o.currency)
        part = parts.get(key)
        if part is None:
            part = parts[key] = SeriesPart(
                name=name,
                merchant=None,
                description=None,
                account_id=o.account_id,
                income=o.amount > 0,
                currency=o.currency,
                ids=[],
                dates=[],
                amounts=[],
                categories=[],
            )
        part.ids.append(o.transaction_id)
        part.dates.append(o.date)
        part.amounts.append(o.amount)
        part.categories.append(o.category_id)
    return from_parts(parts.values())


def find_recurring(
    occurrences: list[Occurrence],
    workspace_id: UUID,
    today: date,
    names: dict[UUID, str],
) -> list[RecurringSeries]:
    """Every series in ``occurrences``, most confident first, then by merchant."""
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
    merchant shown by its latest spelling in that span (in any of its accounts)."""
    spans = {}
    latest: dict[str, tuple[date, UUID, str]] = {}
    for series_key, group in found_groups.groups.items():
        low, high = bisect_left(group.dates, start), bisect_right(group.dates, end)
        if low == high:
            continue
        spans[series_key] = (low, high)
        last = (group.dates[high - 1], group.ids[high - 1], group.names[high - 1])
        shown = latest.get(series_key[0])
        if shown is None or last[:2] > shown[:2]:
            latest[series_key[0]] = last
    found = []
    for series_key, (low, high) in spans.items():
        key, account_id, income, currency = series_key
        sign = "income" if income else "expense"
        series = _series(found_groups.groups[series_key], low, high, series_key, today, names)
        if series is not None:
            series_id = natural_id(workspace_id, "recurring", key, account_id, sign, currency)
            found.append(replace(series, id=series_id, merchant=latest[key][2], type=sign))
    found.sort(key=lambda s: (-Decimal(s.confidence), s.merchant.casefold(), str(s.id)))
    return found


def _series(
    group: Group, low: int, high: int, key: SeriesKey, today: date, names: dict[UUID, str]
) -> RecurringSeries | None:
    """The group's occurrences ``low`` to ``high`` (excluded) as a series (its id, merchant
    and type left for the caller), or None."""
    n = high - low
    dates = group.dates[low:high]
    found = cadence_of([(b - a).days for a, b in pairwise(dates)])
    if found is None:
        return None
    cadence, regular = found
    if n < (2 if cadence.name == "YEARLY" else 3):
        return None
    sizes = group.sizes[low:high]
    k = levels(sizes)
    if k is None:
        return None
    latest = sizes[k:]
    _, account_id, _, currency = key
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
    category_id = group.categories[high - 1]
    return RecurringSeries(
        id=group.ids[low],
        merchant="",
        type="",
        account_id=account_id,
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
