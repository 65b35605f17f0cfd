"""A spending forecast for a month or a quarter, computed from monthly totals and recorded.

The history is the workspace's spending (expenses, transfers left out) up to ``as_of``, as
totals per calendar month and category. Formulas (docs/insights.md, *Spending forecasts*):

    months      the calendar months from the first day of history to ``as_of``, the last 24
                at most; a month counts when at least 15 of its days are history, its total
                scaled to the whole month (total x days in month / days covered)
    trend       the least-squares line a + b x over the months counted (x = 0, 1, …);
                growth rate = b / the months' average (0 with one month)
    seasonal    with 12 months or more: a calendar month's factor = its months' average /
                the overall average (1 where the history lacks it, and always 1 for linear)
    forecast    each month of the period: max(0, (a + b x) x factor); the period's median is
                their sum
    range       s = the root mean square of the months' residuals from the fit;
                low = max(0, median - 1.28 s √k), high = median + 1.28 s √k, k months
    categories  the same per category (trend UP / DOWN beyond ± 2 % a month, else STABLE)
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, InvalidInputError, Tracked
from domain.money import minor_units

MIN_HISTORY_DAYS = 30
MAX_MONTHS = 24  # months of history analysed at most
COUNTED_DAYS = 15  # a month with fewer days of history is left out
SEASONAL_MONTHS = 12  # seasonal factors need a year of history
K = Decimal("1.28")  # the range: an 80 % band of a normal month-sum
TREND = Decimal("0.02")  # a category's growth beyond ± 2 % a month is a trend
CATEGORIES_MAX = 50


class Methodology(StrEnum):
    LINEAR = "linear"
    SEASONAL = "seasonal"


@dataclass(frozen=True)
class Period:
    label: str  # 2026-11 or Q1-2027
    start: date
    end: date
    months: tuple[date, ...]  # each month's first day


def parse_period(text: str) -> Period:
    """``YYYY-MM`` or ``Qn-YYYY``; anything else is a 400 on ``period``."""
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{2})", text):
        year, month = int(m[1]), int(m[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            first = date(year, month, 1)
            return Period(text, first, _month_end(first), (first,))
    if m := re.fullmatch(r"Q([1-4])-([0-9]{4})", text):
        quarter, year = int(m[1]), int(m[2])
        if 2000 <= year <= 2100:
            months = tuple(date(year, 3 * quarter - 2 + i, 1) for i in range(3))
            return Period(text, months[0], _month_end(months[-1]), months)
    raise InvalidInputError("a month (2026-11) or a quarter (Q1-2027) from 2000 to 2100", "period")


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _index(month: date) -> int:
    return month.year * 12 + month.month - 1


@dataclass(frozen=True)
class MonthTotal:
    """What was spent (a positive size, base currency) in one month in one category."""

    month: date  # the month's first day
    category_id: UUID | None
    amount: Decimal


@dataclass(frozen=True)
class History:
    first_day: date | None  # the first day with spending, None without any
    as_of: date
    totals: tuple[MonthTotal, ...]

    @property
    def days(self) -> int:
        if self.first_day is None or self.first_day > self.as_of:
            return 0
        return (self.as_of - self.first_day).days + 1


@dataclass(frozen=True)
class Fit:
    months: tuple[date, ...]  # the months counted
    values: tuple[Decimal, ...]  # their scaled totals
    intercept: Decimal
    slope: Decimal
    factors: dict[int, Decimal]  # calendar month -> seasonal factor

    @property
    def average(self) -> Decimal:
        return sum(self.values, Decimal(0)) / len(self.values) if self.values else Decimal(0)

    @property
    def growth(self) -> Decimal:
        return self.slope / self.average if self.average > 0 else Decimal(0)

    def at(self, month: date) -> Decimal:
        x = _index(month) - _index(self.months[0])
        trend = (self.intercept + self.slope * x) * self.factors.get(month.month, Decimal(1))
        return max(Decimal(0), trend)

    @property
    def deviation(self) -> Decimal:
        residuals = [(v - self.at(m)) ** 2 for m, v in zip(self.months, self.values, strict=True)]
        return (sum(residuals, Decimal(0)) / len(residuals)).sqrt() if residuals else Decimal(0)


def counted_months(history: History) -> list[tuple[date, Decimal]]:
    """Each counted month and the share of it that is history (see the module)."""
    if history.first_day is None:
        return []
    found = []
    month = history.first_day.replace(day=1)
    while month <= history.as_of:
        end = _month_end(month)
        covered = (min(end, history.as_of) - max(month, history.first_day)).days + 1
        if covered >= COUNTED_DAYS:
            found.append((month, Decimal(covered) / end.day))
        month = end + timedelta(days=1)
    return found[-MAX_MONTHS:]


def fit(
    history: History, keep: Iterable[UUID | None] | None, methodology: Methodology
) -> Fit | None:
    """The trend (and seasonal factors) of the totals of the categories in ``keep`` (all when
    None); None when no month counts."""
    months = counted_months(history)
    if not months:
        return None
    kept = None if keep is None else set(keep)
    by_month: dict[date, Decimal] = {}
    for total in history.totals:
        if kept is None or total.category_id in kept:
            by_month[total.month] = by_month.get(total.month, Decimal(0)) + total.amount
    values = tuple(by_month.get(m, Decimal(0)) / share for m, share in months)
    n = len(values)
    xs = [_index(m) - _index(months[0][0]) for m, _ in months]
    mean_x = Decimal(sum(xs)) / n
    mean_y = sum(values, Decimal(0)) / n
    spread = sum(((x - mean_x) ** 2 for x in xs), Decimal(0))
    slope = (
        sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, values, strict=True)), Decimal(0))
        / spread
        if spread
        else Decimal(0)
    )
    factors: dict[int, Decimal] = {}
    if methodology is Methodology.SEASONAL and n >= SEASONAL_MONTHS and mean_y > 0:
        same: dict[int, list[Decimal]] = {}
        for (m, _), v in zip(months, values, strict=True):
            same.setdefault(m.month, []).append(v)
        factors = {k: sum(v, Decimal(0)) / len(v) / mean_y for k, v in same.items()}
    return Fit(tuple(m for m, _ in months), values, mean_y - slope * mean_x, slope, factors)


def _sum(found: Fit, period: Period) -> Decimal:
    return sum((found.at(m) for m in period.months), Decimal(0))


def _round(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), ROUND_HALF_EVEN)


def _pct(ratio: Decimal) -> str:
    return f"{(ratio * 100).quantize(Decimal('0.1'), ROUND_HALF_EVEN):f}"


def compute(
    period: Period,
    methodology: Methodology,
    categories: Sequence[UUID] | None,
    history: History,
    currency: str,
) -> dict[str, Any]:
    """The forecast's fields as recorded (see the module). Under 30 days of history is 422;
    a period over by ``as_of`` is 422 too (back-test it with an earlier ``as_of``)."""
    if history.days < MIN_HISTORY_DAYS:
        raise DomainError(
            f"only {history.days} days of spending history up to {history.as_of}; "
            f"a forecast needs at least {MIN_HISTORY_DAYS}"
        )
    if period.end < history.as_of:
        raise DomainError(
            f"the period {period.label} is over by {history.as_of}: forecast it with an "
            "earlier as_of",
            "period",
        )
    total = fit(history, categories, methodology)
    assert total is not None  # 30 days of history always hold a month of 15
    k = len(period.months)
    median = _sum(total, period)
    spread = K * total.deviation * Decimal(k).sqrt()
    low, high = max(Decimal(0), median - spread), median + spread
    seasonal = sum((total.factors.get(m.month, Decimal(1)) for m in period.months), Decimal(0)) / k
    seen = sorted(
        {t.category_id for t in history.totals} if categories is None else set(categories),
        key=lambda c: (c is not None, str(c)),
    )
    per_category = []
    for category_id in seen:
        one = fit(history, [category_id], methodology)
        assert one is not None
        growth = one.growth
        trend = "UP" if growth > TREND else "DOWN" if growth < -TREND else "STABLE"
        per_category.append(
            {
                "category_id": None if category_id is None else str(category_id),
                "amount": f"{_round(_sum(one, period), currency):f}",
                "average": f"{_round(one.average, currency):f}",
                "growth_rate": _pct(growth),
                "trend": trend,
            }
        )
    n = len(total.months)
    factors = [
        f"{n} months of history analysed ({total.months[0]:%Y-%m} to {total.months[-1]:%Y-%m})",
        f"monthly spending averages {_round(total.average, currency):f} {currency}",
        f"the trend changes spending by {_pct(total.growth)} % a month",
    ]
    if methodology is Methodology.SEASONAL:
        factors.append(
            f"seasonal factor {seasonal.quantize(Decimal('0.01'))}"
            if total.factors
            else f"no seasonal factor: it needs {SEASONAL_MONTHS} months of history"
        )
    recommendations = []
    for c in per_category:
        if c["trend"] == "UP":
            recommendations.append(
                f"spending in category {c['category_id'] or 'uncategorized'} grows "
                f"{c['growth_rate']} % a month: a budget for it would hold it"
            )
    if n < 3:
        recommendations.append(
            "with under 3 months of history the range is wide: forecast again later"
        )
    if median > 0 and high - low > median:
        recommendations.append("spending varies a lot from month to month: keep a buffer")
    return {
        "period": period.label,
        "start_date": period.start,
        "end_date": period.end,
        "methodology": methodology.value,
        "as_of": history.as_of,
        "category_ids": tuple(str(c) for c in categories) if categories is not None else None,
        "currency": currency,
        "amount": f"{_round(median, currency):f}",
        "low": f"{_round(low, currency):f}",
        "median": f"{_round(median, currency):f}",
        "high": f"{_round(high, currency):f}",
        "categories": tuple(per_category),
        "history": {
            "days": history.days,
            "periods_analysed": n,
            "first_month": f"{total.months[0]:%Y-%m}",
            "last_month": f"{total.months[-1]:%Y-%m}",
            "average": f"{_round(total.average, currency):f}",
            "growth_rate": _pct(total.growth),
            "seasonal_factor": f"{seasonal.quantize(Decimal('0.01'), ROUND_HALF_EVEN):f}",
        },
        "factors": tuple(factors),
        "recommendations": tuple(recommendations),
    }


class SpendingForecast(Tracked):
    """One forecast as it was made: never changed."""

    workspace_id: UUID

    class Made(Tracked.Created):
        """``SpendingForecastMade`` in prose: the period, the method, the result."""

        period: str
        start_date: date
        end_date: date
        methodology: str
        as_of: date
        category_ids: tuple[str, ...] | None
        currency: str
        amount: str
        low: str
        median: str
        high: str
        categories: tuple[dict[str, Any], ...]
        history: dict[str, Any]
        factors: tuple[str, ...]
        recommendations: tuple[str, ...]

    @event(Made)
    def __init__(
        self,
        workspace_id: UUID,
        period: str,
        start_date: date,
        end_date: date,
        methodology: str,
        as_of: date,
        category_ids: tuple[str, ...] | None,
        currency: str,
        amount: str,
        low: str,
        median: str,
        high: str,
        categories: tuple[dict[str, Any], ...],
        history: dict[str, Any],
        factors: tuple[str, ...],
        recommendations: tuple[str, ...],
    ) -> None:
        self.workspace_id = workspace_id
        self.period = period
        self.start_date, self.end_date, self.as_of = start_date, end_date, as_of
        self.methodology = methodology
        self.category_ids = category_ids
        self.currency = currency
        self.amount, self.low, self.median, self.high = amount, low, median, high
        self.categories = categories
        self.history = history
        self.factors = factors
        self.recommendations = recommendations

    @classmethod
    def make(
        cls,
        forecast_id: UUID,
        workspace_id: UUID,
        period: Period,
        methodology: Methodology,
        categories: Sequence[UUID] | None,
        history: History,
        currency: str,
        by: Actor,
    ) -> SpendingForecast:
        if categories is not None and not 1 <= len(categories) <= CATEGORIES_MAX:
            raise InvalidInputError(f"1 to {CATEGORIES_MAX} category ids", "categories")
        return cls._create(
            cls.Made,
            id=forecast_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            **compute(period, methodology, categories, history, currency),
        )
