"""Budget periods: a month, a quarter or a year (each repeating from a first), or a range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.base import DomainError, check_supported_date


class PeriodKind(StrEnum):
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    YEARLY = "YEARLY"
    CUSTOM = "CUSTOM"


MONTHS = {PeriodKind.MONTHLY: 1, PeriodKind.QUARTERLY: 3, PeriodKind.YEARLY: 12}


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # the last day, included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_period(text: str) -> tuple[PeriodKind, date]:
    """``2026-03`` is March 2026, ``Q1-2026`` the first quarter, ``2026`` the year."""
    kind, first = _parse_period(text)
    return kind, check_supported_date(first, "period")


def _parse_period(text: str) -> tuple[PeriodKind, date]:
    if match := re.fullmatch(r"([0-9]{4})-([0-9]{2})", text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return PeriodKind.MONTHLY, date(year, month, 1)
    if match := re.fullmatch(r"Q([1-4])-([0-9]{4})", text):
        return PeriodKind.QUARTERLY, date(int(match[2]), 3 * int(match[1]) - 2, 1)
    if re.fullmatch(r"[0-9]{4}", text):
        return PeriodKind.YEARLY, date(int(text), 1, 1)
    raise DomainError("a period is written 2026-03, Q1-2026 or 2026", "period")


def first_day(kind: PeriodKind, day: date) -> date:
    """The first day of the month, quarter or year holding this day."""
    if kind is PeriodKind.MONTHLY:
        return day.replace(day=1)
    if kind is PeriodKind.QUARTERLY:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after this day's month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(kind: PeriodKind, start: date, end: date | None, day: date) -> Period | None:
    """The budget's period holding ``day``; none before the budget starts or after it ends."""
    if day < start or (end is not None and day > end):
        return None
    if kind is PeriodKind.CUSTOM:
        assert end is not None
        return Period(start, end)
    first = first_day(kind, day)
    return Period(first, add_months(first, MONTHS[kind]) - timedelta(days=1))


def previous(kind: PeriodKind, period: Period) -> Period | None:
    if kind is PeriodKind.CUSTOM:
        return None
    first = add_months(period.start, -MONTHS[kind])
    return Period(first, period.start - timedelta(days=1))
