"""Spending patterns: weekends against weekdays, late nights, the average transaction and
categories rising period after period; pure functions over ``Line`` rows.

The **timeframe** (``week``, ``month``, ``quarter`` or ``year``) is the current one to date:
from its first day (weeks from the workspace's first weekday) to ``today`` in the workspace's
time zone, both included. Only **expenses** count (lines with a negative amount that are not a
transfer leg, their size ``|amount|`` in the base currency, as ``stats.py`` decides); a split
transaction counts once in a count, its parts' sizes together.

    weekend_daily_average  = Σ expenses dated Saturday or Sunday / Saturdays and Sundays in range
    weekday_daily_average  = Σ expenses dated Monday to Friday / Mondays to Fridays in range
    weekend_pct            = (weekend_daily_average / weekday_daily_average - 1) * 100
    average_transaction    = Σ expenses / expense transactions

Averages are per *calendar day*: a day without spending counts as a day of 0. Each is rounded
to the base currency's minor units, and ``weekend_pct`` is worked out from those rounded
averages (two decimals), so it can be checked by hand; it is null when the range holds no
weekend day or no weekday spending. ``late_night_count`` is the expense transactions whose
local time is 22:00:00 or later or before 05:00:00; one without a time never counts.

Insights, each with the figures it rests on:

- PATTERN "You spend more at weekends" when ``weekend_pct ≥ 25``; impact HIGH from 100,
  MODERATE from 50, else LOW; ``amount`` = weekend - weekday daily average.
- PATTERN "You often spend late at night" when ``late_night_count ≥ 3``; impact by the
  late-night share of the timeframe's spending: HIGH from 25 %, MODERATE from 10 %, else LOW;
  ``amount`` = the late-night spending.
- TREND "Spending on <category> keeps rising" when a category's spending rose in each of the
  three full periods before the current one (``0 < a₁ < a₂ < a₃``) by at least 10 % overall
  (``a₃ ≥ 1.10 * a₁``); impact by ``(a₃ / a₁ - 1) * 100``: HIGH from 100, MODERATE from 50,
  else LOW; ``amount = a₃ - a₁``. Uncategorized spending is no category and never a trend.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time, timedelta
from decimal import Decimal
from itertools import pairwise
from uuid import UUID

from domain.money import money_text
from projections.insights.model import (
    Evidence,
    EvidenceFigure,
    Line,
    PatternInsight,
    SpendingPatterns,
)
from projections.insights.stats import HUNDRED, conversion_of, counted, percent, period_start
from projections.ledger import view as ledger_view

TIMEFRAMES = ("week", "month", "quarter", "year")
TREND_PERIODS = 3
WEEKEND_PCT = Decimal(25)
LATE_NIGHT_COUNT = 3
LATE_NIGHT_FROM, LATE_NIGHT_UNTIL = time(22), time(5)
TREND_RISE = Decimal("1.10")
IMPACT_ORDER = {"HIGH": 0, "MODERATE": 1, "LOW": 2}


def timeframe_start(day: date, timeframe: str, week_start: str = "MONDAY") -> date:
    """The first day of the week (from the workspace's first weekday), month, quarter
    (January, April, July, October) or year holding ``day``."""
    if timeframe == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return period_start(day, timeframe, week_start)


def previous_start(start: date, timeframe: str) -> date:
    """The first day of the timeframe before the one starting on ``start``."""
    if timeframe == "week":
        return start - timedelta(days=7)
    if timeframe == "year":
        return start.replace(year=start.year - 1)
    months = 3 if timeframe == "quarter" else 1
    month = start.year * 12 + start.month - 1 - months
    return date(month // 12, month % 12 + 1, 1)


def full_periods(
    start: date, timeframe: str, count: int = TREND_PERIODS
) -> list[tuple[date, date]]:
    """The ``count`` full timeframes before the one starting on ``start``, oldest first, each
    as its first and last day."""
    spans: list[tuple[date, date]] = []
    for _ in range(count):
        before = previous_start(start, timeframe)
        spans.append((before, start - timedelta(days=1)))
        start = before
    return spans[::-1]


def is_late_night(at: time | None) -> bool:
    """22:00:00 up to, not including, 05:00:00; no time is never late."""
    return at is not None and (at >= LATE_NIGHT_FROM or at < LATE_NIGHT_UNTIL)


def _expenses(lines: Iterable[Line], conversion: ledger_view.Conversion) -> list[Line]:
    return [line for line in counted(lines, conversion) if not line.transfer and line.amount < 0]


def _by_size(value: Decimal, high: Decimal, moderate: Decimal) -> str:
    return "HIGH" if value >= high else "MODERATE" if value >= moderate else "LOW"


class _Spent:
    """A sum of expenses in the base currency and the transactions it came from."""

    def __init__(self, conversion: ledger_view.Conversion) -> None:
        self.total = ledger_view.BaseTotal(conversion)
        self.transactions: dict[UUID, date] = {}

    def add(self, line: Line) -> None:
        self.total.add(-line.amount, line.currency, line.date)
        self.transactions[line.transaction_id] = line.date

    @property
    def amount(self) -> Decimal:
        return self.total.total

    def ids(self) -> list[UUID]:
        """Oldest first, then by id."""
        return sorted(self.transactions, key=lambda tid: (self.transactions[tid], str(tid)))


def _average(total: Decimal, days: int, base: str) -> Decimal | None:
    return None if days == 0 else ledger_view.round_money(total / days, base)


def spending_patterns(
    lines: list[Line],
    times: dict[UUID, time],
    conversion: ledger_view.Conversion,
    today: date,
    timeframe: str,
    names: dict[UUID, str],
    week_start: str = "MONDAY",
) -> SpendingPatterns:
    """The timeframe's figures (see the module) and insights. ``lines`` must cover the three
    full timeframes before the current one as well (``full_periods``) for the trends;
    ``times`` holds the local time of the transactions that have one."""
    base = conversion.base
    start = timeframe_start(today, timeframe, week_start)
    spent = _expenses(lines, conversion)
    weekend, weekday, late, every = (_Spent(conversion) for _ in range(4))
    for line in spent:
        if not start <= line.date <= today:
            continue
        every.add(line)
        (weekend if line.date.weekday() >= 5 else weekday).add(line)
        if is_late_night(times.get(line.transaction_id)):
            late.add(line)
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    weekend_days = sum(1 for day in days if day.weekday() >= 5)
    weekday_days = len(days) - weekend_days
    weekend_average = _average(weekend.amount, weekend_days, base)
    weekday_average = _average(weekday.amount, weekday_days, base)
    weekend_pct = None
    if weekend_average is not None and weekday_average is not None:
        weekend_pct = percent(weekend_average - weekday_average, weekday_average)
    count = len(every.transactions)
    insights: list[PatternInsight] = []
    if weekend_pct is not None and Decimal(weekend_pct) >= WEEKEND_PCT:
        pct = Decimal(weekend_pct)
        insights.append(_weekend_insight(weekend, weekday, weekend_days, weekday_days, pct, base))
    if len(late.transactions) >= LATE_NIGHT_COUNT:
        insights.append(_late_night_insight(late, every.amount, base))
    insights.extend(_rising(spent, conversion, full_periods(start, timeframe), names))
    insights.sort(key=lambda i: (IMPACT_ORDER[i.impact], -Decimal(i.amount), i.title))
    return SpendingPatterns(
        timeframe=timeframe,
        start=start,
        end=today,
        weekend_days=weekend_days,
        weekday_days=weekday_days,
        weekend_daily_average=None
        if weekend_average is None
        else money_text(weekend_average, base),
        weekday_daily_average=None
        if weekday_average is None
        else money_text(weekday_average, base),
        weekend_pct=weekend_pct,
        late_night_count=len(late.transactions),
        total_expenses=money_text(every.amount, base),
        transaction_count=count,
        average_transaction=None
        if count == 0
        else money_text(ledger_view.round_money(every.amount / count, base), base),
        insights=insights,
        conversion=conversion_of(conversion),
    )


def _weekend_insight(
    weekend: _Spent,
    weekday: _Spent,
    weekend_days: int,
    weekday_days: int,
    pct: Decimal,
    base: str,
) -> PatternInsight:
    """Only called with days of both kinds and weekday spending (``weekend_pct`` is set)."""
    weekend_average = ledger_view.round_money(weekend.amount / weekend_days, base)
    weekday_average = ledger_view.round_money(weekday.amount / weekday_days, base)
    more = weekend_average - weekday_average
    return PatternInsight(
        type="PATTERN",
        title="You spend more at weekends",
        description=(
            f"You spent {money_text(weekend_average, base)} {base} a day on average on the "
            f"{weekend_days} weekend days so far, {pct:f} % more than the "
            f"{money_text(weekday_average, base)} {base} on each of the {weekday_days} weekdays."
        ),
        category_id=None,
        category=None,
        impact=_by_size(pct, HUNDRED, Decimal(50)),
        recommendation=(
            "Plan weekend outings and shopping ahead and set a weekend spending limit."
        ),
        amount=money_text(more, base),
        evidence=Evidence(
            figures=[
                EvidenceFigure(
                    label="weekend",
                    amount=money_text(weekend.amount, base),
                    days=weekend_days,
                    count=len(weekend.transactions),
                ),
                EvidenceFigure(
                    label="weekdays",
                    amount=money_text(weekday.amount, base),
                    days=weekday_days,
                    count=len(weekday.transactions),
                ),
            ],
            transaction_ids=[],
        ),
    )


def _late_night_insight(late: _Spent, total: Decimal, base: str) -> PatternInsight:
    share = late.amount * HUNDRED / total  # total holds late's amount, so it is above 0
    count = len(late.transactions)
    return PatternInsight(
        type="PATTERN",
        title="You often spend late at night",
        description=(
            f"{count} purchases between 22:00 and 05:00 came to {money_text(late.amount, base)} "
            f"{base}, {percent(late.amount, total)} % of your spending so far."
        ),
        category_id=None,
        category=None,
        impact=_by_size(share, Decimal(25), Decimal(10)),
        recommendation="Sleep on late-night purchases: put them in a basket and decide tomorrow.",
        amount=money_text(late.amount, base),
        evidence=Evidence(
            figures=[
                EvidenceFigure(
                    label="late_night", amount=money_text(late.amount, base), count=count
                )
            ],
            transaction_ids=late.ids(),
        ),
    )


def _rising(
    spent: list[Line],
    conversion: ledger_view.Conversion,
    spans: list[tuple[date, date]],
    names: dict[UUID, str],
) -> list[PatternInsight]:
    """A TREND for each category whose spending rose in each of ``spans`` (see the module)."""
    base = conversion.base
    per_category: dict[UUID, list[_Spent]] = {}
    for line in spent:
        if line.category_id is None:
            continue
        for index, (first, last) in enumerate(spans):
            if first <= line.date <= last:
                sums = per_category.get(line.category_id)
                if sums is None:  # not setdefault: its default would be made for every line
                    sums = per_category[line.category_id] = [_Spent(conversion) for _ in spans]
                sums[index].add(line)
    found = []
    for category, sums in per_category.items():
        amounts = [s.amount for s in sums]
        rising = all(a < b for a, b in pairwise(amounts))
        if not (amounts[0] > 0 and rising and amounts[-1] >= TREND_RISE * amounts[0]):
            continue
        rise = amounts[-1] - amounts[0]
        name = names.get(category)
        label = name or "a category"
        found.append(
            PatternInsight(
                type="TREND",
                title=f"Spending on {label} keeps rising",
                description=(
                    f"Your spending on {label} rose {len(spans)} periods in a row: "
                    + ", then ".join(
                        f"{money_text(a, base)} {base} ({first} to {last})"
                        for a, (first, last) in zip(amounts, spans, strict=True)
                    )
                    + f", {percent(rise, amounts[0])} % more."
                ),
                category_id=category,
                category=name,
                impact=_by_size(rise * HUNDRED / amounts[0], HUNDRED, Decimal(50)),
                recommendation=f"Review what you buy in {label} and set a budget for it.",
                amount=money_text(rise, base),
                evidence=Evidence(
                    figures=[
                        EvidenceFigure(
                            label="period",
                            start=first,
                            end=last,
                            amount=money_text(s.amount, base),
                            count=len(s.transactions),
                        )
                        for s, (first, last) in zip(sums, spans, strict=True)
                    ],
                    transaction_ids=[],
                ),
            )
        )
    return found
